"""Privacy policy versions: public reading, posting (platform admin), acknowledgements and the daily notice timer.
See docs/email-and-policy.md."""

import logging

import azure.functions as func

bp = func.Blueprint()
log = logging.getLogger(__name__)
