"""affect-llm: explainable multimodal emotion reasoning.

Importing this package is cheap on purpose: nothing here touches torch or loads a model.
Heavy modules (encoders, models) are imported where they are used.
"""

__version__ = "0.1.0"
