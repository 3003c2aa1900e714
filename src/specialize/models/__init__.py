"""Students and other span predictors: transformer token classifiers, spaCy pipelines; saving and loading."""
