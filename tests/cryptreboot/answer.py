#!/usr/bin/env python3
"""answer.py PROMPT ANSWER_FILE STDERR_FILE -- COMMAND...

Run COMMAND on a pseudo-terminal, as a person at a terminal would: each
time PROMPT appears on it, type the first line of ANSWER_FILE and Enter
(cryptreboot asks with echo off, which needs a terminal). COMMAND's
stderr goes to STDERR_FILE; what the terminal showed is printed; the exit
status is COMMAND's. Gives up after 120 s (the child is killed: 124).
"""
import os
import pty
import select
import signal
import sys
import time


def main():
    prompt, answer_file, err_file = sys.argv[1].encode(), sys.argv[2], sys.argv[3]
    command = sys.argv[5:]
    with open(answer_file, "rb") as f:
        answer = f.readline().rstrip(b"\n")
    pid, fd = pty.fork()
    if pid == 0:
        err = os.open(err_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(err, 2)
        os.execvp(command[0], command)
    shown, answered = b"", 0
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 1)
        if not ready:
            continue
        try:
            data = os.read(fd, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        shown += data
        while shown.count(prompt) > answered:
            answered += 1
            time.sleep(0.2)  # echo goes off after the prompt is printed
            os.write(fd, answer + b"\n")
    else:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        sys.stdout.write(shown.decode(errors="replace"))
        return 124
    _, status = os.waitpid(pid, 0)
    sys.stdout.write(shown.decode(errors="replace"))
    return os.waitstatus_to_exitcode(status)


if __name__ == "__main__":
    sys.exit(main())
