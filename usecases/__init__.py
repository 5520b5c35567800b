"""The verbs of certification, one home each: who may do it, in which state, what changes, which
notices it queues and the audit row it writes.

A use case takes the unit of work, the services and the :class:`~usecases.access.Caller` (who acts,
on which channel) and returns an outcome — done, or refused with a reason — that the chat, the CLI
or any later interface renders in its own way. It never words a message and never commits: the
caller's transaction does.
"""
