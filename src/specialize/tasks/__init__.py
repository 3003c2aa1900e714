"""Tasks: what differs between named-entity recognition and text classification, behind one interface
(:class:`specialize.tasks.base.Task`); :mod:`specialize.tasks.registry` finds the task of a model or a name."""
