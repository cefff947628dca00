/**
 * Shell words to put after `setsid <helper> &`: they wait until the helper (pid in `$!`) leads
 * its own session and leave its pid in `$h`. Until then the helper is still in the runtime's
 * process group, and a group stop racing it would kill it before it escapes — the very helper
 * the tests need alive.
 */
export const SESSION_READY = `h=$!; until [ "$(cut -d' ' -f6 /proc/$h/stat 2>/dev/null)" = "$h" ]; do sleep 0.01; done;`;
