"""The certification scheme (SKM-01/BNSP/VII/2020) as pure code and data.

No I/O, no messenger, no database: rules here can be tested on their own and cited by clause.
"""
