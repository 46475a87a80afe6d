import sys

from genre_core.cli.main import main

sys.exit(main())
