"""Training outside the model: ``Trainer`` with its ``TrainingArgs``, and the ``train`` workflow."""
