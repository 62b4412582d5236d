#!/usr/bin/python3
"""Run a command as a desktop user would, with polkit's text agent
(pkttyagent) registered for it on a terminal of its own, and type PASSWORD
at each of the agent's password prompts.

    agent-answers.py PASSWORD COMMAND [ARG...]

The command runs in the process the agent was registered for (the shell
execs it), so polkit finds the agent for the caller a service names. Prints
everything the terminal showed and exits with the command's status.
"""
import os
import pty
import select
import sys
import termios
import time

password, command = sys.argv[1], sys.argv[2:]
fifo = f"/tmp/agent-ready.{os.getpid()}"
os.mkfifo(fifo)
# The agent closes its notify descriptor once it is registered; cat sees
# the end of the pipe then, and the shell becomes the command. Not
# --fallback: polkitd uses a fallback agent only for a subject in a login
# session, and this one is in none.
script = f'pkttyagent --process $$ --notify-fd 5 5>{fifo} & cat {fifo} >/dev/null; exec "$@"'
pid, terminal = pty.fork()
if pid == 0:
    os.execvp("sh", ["sh", "-c", script, "sh", *command])

shown, answered, deadline = b"", 0, time.monotonic() + 60
while time.monotonic() < deadline:
    ready, _, _ = select.select([terminal], [], [], 1)
    if not ready:
        continue
    try:
        chunk = os.read(terminal, 4096)
    except OSError:  # EIO: the terminal's last user is gone.
        break
    if not chunk:
        break
    shown += chunk
    if shown.count(b"Password:") > answered:
        answered += 1
        # Typed only once the agent has turned echo off: it flushes what
        # was typed before (TCSAFLUSH), and would wait for a password then.
        quiet_by = time.monotonic() + 5
        while termios.tcgetattr(terminal)[3] & termios.ECHO and time.monotonic() < quiet_by:
            time.sleep(0.01)
        os.write(terminal, password.encode() + b"\n")
_, status = os.waitpid(pid, 0)
os.unlink(fifo)
sys.stdout.write(shown.decode(errors="replace"))
sys.exit(os.waitstatus_to_exitcode(status))
