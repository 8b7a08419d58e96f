"""``python -m policywatch.demo`` (what ``make demo`` runs)."""
import sys

from policywatch.demo.narrative import main

sys.exit(main())
