"""Settings for the whole test run."""

import os

# Commands run by the tests may start a background sandbox of their own (one
# per LABGUIDE_HOME); an idle one stops itself soon instead of outliving the
# run.
os.environ.setdefault("LABGUIDE_SANDBOX_IDLE", "20")
