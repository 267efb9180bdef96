"""Runs the interop flows against one server: every test function (a
coroutine named test_* in the flow modules given on the command line) gets a
fresh server with a fresh data directory, and a time limit.

  suite.py --server prosody flows_roster flows_messages
  suite.py --server xmppim-server --exe build/examples/xmppim-server/xmppim-server flows_roster

Exit status: 0 all passed (some may be skipped), 1 a test failed,
77 everything was skipped (meson's skip code).
"""

import argparse
import asyncio
import importlib
import inspect
import os
import sys
import time
import traceback

import harness
import servers

# Per test; the slowest flow (the durability burst) needs about 20 s.
TEST_LIMIT = 60.0


def make_server(args, workdir):
    if args.server == "prosody":
        return servers.ProsodyServer(workdir)
    if not args.exe or not os.access(args.exe, os.X_OK):
        raise servers.Skip("xmppim-server executable not given or not executable: %r" % args.exe)
    return servers.XmppimServer(workdir, args.exe, args.server_option or [])


async def run_one(args, test):
    workdir = servers.new_workdir()
    server = None
    env = None
    try:
        server = make_server(args, workdir)
        await server.start()
        env = harness.Env(server)
        await asyncio.wait_for(test(env), TEST_LIMIT)
        await env.close_clients()
        # For xmppim-server SIGTERM is a clean shutdown, exit status 0 (a
        # sanitizer report at exit shows up here too).
        status = await server.dispose()
        if server.exit_status_checked and status != 0:
            raise AssertionError("%s exited with status %s after SIGTERM" % (server.name, status))
        reports = server.sanitizer_reports()
        if reports:
            raise AssertionError("sanitizer reports in the server log:\n" + "\n".join(reports[:20]))
        return "ok", env.notes
    except servers.Skip as why:
        return "skip", [str(why)]
    except (AssertionError, asyncio.TimeoutError, Exception) as error:
        text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
        if isinstance(error, asyncio.TimeoutError):
            text += "the test did not finish within %.0f s\n" % TEST_LIMIT
        if server is not None:
            text += "--- %s log (last lines)\n%s" % (server.name, server.log_tail())
        return "FAIL", [text]
    finally:
        if env is not None:
            await env.close_clients()
        if server is not None:
            try:
                await server.dispose()
            except AssertionError as error:
                print("warning: %s" % error)
        servers.remove_workdir(workdir)


def collect(module_names, only):
    tests = []
    for name in module_names:
        module = importlib.import_module(name)
        for attr, value in inspect.getmembers(module, inspect.iscoroutinefunction):
            if attr.startswith("test_") and (not only or any(o in attr for o in only)):
                tests.append((name, attr, value, inspect.getsourcelines(value)[1]))
    # In source order, so the output reads like the files.
    tests.sort(key=lambda t: (module_names.index(t[0]), t[3]))
    return tests


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--server", choices=["prosody", "xmppim-server"], required=True)
    parser.add_argument("--exe", help="the xmppim-server executable")
    parser.add_argument("--server-option", action="append",
                        help="an extra xmppim-server option (repeat for each word)")
    parser.add_argument("--only", action="append", help="run tests whose name contains this")
    parser.add_argument("modules", nargs="+")
    args = parser.parse_args()
    harness.quiet_slixmpp()
    counts = {"ok": 0, "skip": 0, "FAIL": 0}
    started = time.monotonic()
    for module, name, test, _ in collect(args.modules, args.only or []):
        began = time.monotonic()
        outcome, notes = await run_one(args, test)
        counts[outcome] += 1
        print("%-4s %s.%s against %s (%.1f s)" % (outcome, module, name, args.server,
                                                  time.monotonic() - began), flush=True)
        for note in notes:
            print("     " + note.replace("\n", "\n     "), flush=True)
    print("%d passed, %d skipped, %d failed in %.1f s"
          % (counts["ok"], counts["skip"], counts["FAIL"], time.monotonic() - started))
    if counts["FAIL"]:
        return 1
    if counts["ok"] == 0:
        return 77
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
