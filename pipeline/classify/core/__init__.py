"""The classifier's pure core: scoring, context factors and risk, the fast path's cascade,
training and evaluation. numpy and scikit-learn only: no database, no web, no torch.
"""
