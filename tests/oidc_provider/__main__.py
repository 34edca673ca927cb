"""``python -m tests.oidc_provider PORT_FILE``: serve the test provider on a free loopback port."""

import sys
from pathlib import Path

from tests.oidc_provider.app import serve

serve(Path(sys.argv[1]))
