#!/bin/sh
# Run a command the way an unprivileged user would meet ioalloc: without
# CAP_IPC_LOCK (RLIMIT_MEMLOCK applies) and CAP_SYS_ADMIN (pagemap PFNs read 0).
# As root it drops both capabilities from the bounding set and sets an 8 MiB
# memlock limit (Debian's default for users). Not root: runs the command as is.
# Used as the exe_wrapper of `meson test --setup unpriv`.
if [ "$(id -u)" = 0 ]; then
	exec prlimit --memlock=8388608:8388608 -- \
		setpriv --inh-caps=-ipc_lock,-sys_admin --bounding-set=-ipc_lock,-sys_admin -- "$@"
fi
exec "$@"
