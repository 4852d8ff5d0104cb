"""Fraud-type classification (分析研判, DESIGN §2 A8): the taxonomy of DESIGN §4, a lexicon that works with no
training, and a model a county trains on its own labelled cases (`pingan fraud train`)."""

from pingan.fraud.classify.service import FraudClassifier, Prediction
from pingan.fraud.classify.taxonomy import LABEL_NAMES, Label

__all__ = ["LABEL_NAMES", "FraudClassifier", "Label", "Prediction"]
