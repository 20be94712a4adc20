"""Child process for the durability test: check in every pass in a file, printing each
acknowledged check-in id as soon as `Desk.scan` returns (the point the screen would show it)."""

import sys

from fieldkit.checkin import Desk
from fieldkit.store import open_store


def main(db_path: str, passphrase: str, tokens_path: str) -> None:
    store = open_store(db_path, passphrase)
    desk = Desk(store)
    print("ready", flush=True)
    for token in open(tokens_path, encoding="ascii").read().split():
        result = desk.scan(token)
        print(result.checkin_id, flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
