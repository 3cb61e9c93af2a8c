"""Training of the AffectGPT-style model: config (YAML -> dataclasses), data (manifests, cache,
deterministic batches), the recipe (DeepSpeed / DDP / one process), evaluation, the synthetic
learnability dataset and the MER-Caption+ importer. Heavy imports happen inside functions."""
