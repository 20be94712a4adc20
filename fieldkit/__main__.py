"""Allow `python -m fieldkit`."""

from fieldkit.cli import main

if __name__ == "__main__":
    main()
