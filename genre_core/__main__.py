import sys

from genre_core.cli import main

sys.exit(main())
