"""The bundle's entry point: the same as the ``pwtray`` command, and the keyring's child process
(``--keyring-child``, see pwtray/settings/_keyring_child.py) when the tray app starts one."""

import sys

if __name__ == "__main__":
    if sys.argv[1:2] == ["--keyring-child"]:
        from pwtray.settings._keyring_child import main as child

        sys.exit(child())
    from pwtray.cli import main

    sys.exit(main())
