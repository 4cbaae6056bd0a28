"""The interface's message catalogues (gettext ``.po``); ``python -m pipeline.locale`` updates them."""
