"""The qualkit kernel driven by a real Jupyter client (jupyter_client), as a notebook would."""

import os
import signal
import socket
import struct
import subprocess
import sys
import pathlib
import time

import pytest
import zmq
from conftest import QUALKIT
from jupyter_client.blocking import BlockingKernelClient
from jupyter_client.connect import write_connection_file
from jupyter_client.manager import start_new_kernel
from jupyter_client.session import Session

TIMEOUT = 30


@pytest.fixture
def kernel():
    km, kc = start_new_kernel(kernel_name="qualkit")
    yield km, kc
    kc.stop_channels()
    km.shutdown_kernel(now=True)


def run(kc, code):
    """Executes a cell; returns (reply content, iopub messages of the cell)."""
    outputs = []
    reply = kc.execute_interactive(code, timeout=TIMEOUT, output_hook=outputs.append)
    return reply["content"], outputs


def results(outputs, kind="execute_result"):
    return [m["content"] for m in outputs if m["msg_type"] == kind]


def test_tables_are_html_with_a_text_twin_and_charts_are_svg(kernel):
    _, kc = kernel
    reply, outputs = run(kc, 'table([#{case: "Cobalt", quote: "<b>not bold</b>"}])'.replace("case:", '"case":'))
    assert reply["status"] == "ok"
    data = results(outputs)[0]["data"]
    assert "<table>" in data["text/html"]
    assert "&lt;b&gt;not bold&lt;/b&gt;" in data["text/html"], "text is escaped"
    assert "1 row × 2 columns" in data["text/plain"]

    reply, outputs = run(kc, 'table([#{phase: "P1", n: 2}, #{phase: "P2", n: 5}]).timeline()')
    data = results(outputs)[0]["data"]
    assert data["image/svg+xml"].startswith("<svg")
    assert "chart:" in data["text/plain"]


def test_errors_show_the_offending_line(kernel):
    _, kc = kernel
    reply, outputs = run(kc, "let a = 1;\nlet b = a +* 2;")
    assert reply["status"] == "error"
    error = results(outputs, "error")[0]
    assert error["traceback"][0].startswith("In[1]:2:"), error["traceback"]
    assert "let b = a +* 2;" in error["traceback"][1]
    # A runtime error: what ran before it stays, and the session goes on.
    reply, outputs = run(kc, "let a = 1;\nlet b = a + missing;")
    error = results(outputs, "error")[0]
    assert error["traceback"][0].startswith("In[2]:2:"), error["traceback"]
    assert "missing" in error["evalue"]
    reply, outputs = run(kc, "a + 1")
    assert results(outputs)[0]["data"]["text/plain"] == "2"


def test_output_streams_in_order_and_display_progress(kernel):
    _, kc = kernel
    reply, outputs = run(kc, 'print("one"); display(table([#{n: 1}])); clear_output(true); eprint("two"); 3')
    kinds = [m["msg_type"] for m in outputs if m["msg_type"] not in ("status", "execute_input")]
    assert kinds == ["stream", "display_data", "clear_output", "stream", "execute_result"], kinds
    streams = [m["content"] for m in outputs if m["msg_type"] == "stream"]
    assert streams[0] == {"name": "stdout", "text": "one\n"}
    assert streams[1]["name"] == "stderr"


def test_interrupt_stops_an_endless_loop_and_keeps_variables(kernel):
    km, kc = kernel
    run(kc, "let kept = 41;")
    msg_id = kc.execute("let n = 0; loop { n += 1; }")
    time.sleep(1.0)
    km.interrupt_kernel()
    reply = kc.get_shell_msg(timeout=10)
    assert reply["parent_header"]["msg_id"] == msg_id
    assert reply["content"]["status"] == "error"
    assert reply["content"]["ename"] == "Interrupted"
    _, outputs = run(kc, "kept + 1")
    assert results(outputs)[0]["data"]["text/plain"] == "42"
    # The loop ran until interrupted; its counter is still there.
    _, outputs = run(kc, "n > 0")
    assert results(outputs)[0]["data"]["text/plain"] == "true"


def test_restart_gives_a_fresh_session(kernel):
    km, kc = kernel
    run(kc, "let before = 1;")
    km.restart_kernel(now=False)
    kc.wait_for_ready(timeout=TIMEOUT)
    reply, _ = run(kc, "before")
    assert reply["status"] == "error"
    assert "before" in reply["evalue"]
    reply, outputs = run(kc, "2 + 2")
    assert results(outputs)[0]["data"]["text/plain"] == "4"


def test_a_message_with_a_bad_signature_is_ignored(kernel):
    km, kc = kernel
    info = km.get_connection_info()
    forger = Session(key=b"not-the-key", username="forger")
    context = zmq.Context.instance()
    socket = context.socket(zmq.DEALER)
    socket.connect(f"{info['transport']}://{info['ip']}:{info['shell_port']}")
    try:
        forger.send(socket, "execute_request", {"code": "let forged = 1;", "silent": False, "store_history": True,
                                                "user_expressions": {}, "allow_stdin": False})
        assert socket.poll(2000) == 0, "the kernel must not answer a forged message"
    finally:
        socket.close(linger=0)
    # Never executed, and the kernel still answers its real client.
    reply, _ = run(kc, "forged")
    assert reply["status"] == "error"
    kc.kernel_info()
    assert kc.get_shell_msg(timeout=TIMEOUT)["msg_type"] == "kernel_info_reply"


# A ZMTP 3.0 greeting with the NULL mechanism (RFC 23): signature, version, mechanism, as-server.
GREETING = b"\xff" + bytes(8) + b"\x7f" + bytes([3, 0]) + b"NULL".ljust(20, b"\x00") + bytes(32)


def huge_frame_header(command):
    """A long frame header announcing 2^62 bytes, none of which follow."""
    return bytes([0x06 if command else 0x02]) + struct.pack(">Q", 1 << 62)


def ready_command(socket_type):
    body = b"\x05READY" + b"\x0bSocket-Type" + struct.pack(">I", len(socket_type)) + socket_type
    return bytes([0x04, len(body)]) + body


def test_a_frame_header_announcing_huge_sizes_does_not_kill_the_kernel(kernel):
    """issue 20: 73 bytes (a greeting and a frame header claiming 2^62 bytes) sent to a port,
    with no key, aborted the kernel trying to allocate them. Every socket, before and after
    the handshake: the peer is dropped and the kernel goes on serving its client."""
    km, kc = kernel
    info = km.get_connection_info()
    peers = {"shell_port": b"DEALER", "control_port": b"DEALER", "stdin_port": b"DEALER",
             "hb_port": b"REQ", "iopub_port": b"SUB"}
    for port, peer_type in peers.items():
        for attack in (GREETING + huge_frame_header(command=True),
                       GREETING + ready_command(peer_type) + huge_frame_header(command=False)):
            with socket.create_connection((info["ip"], info[port]), timeout=5) as raw:
                raw.sendall(attack)
                time.sleep(0.2)
                assert km.is_alive(), f"the kernel died from a frame header sent to {port}"
    assert km.is_alive()
    kc.kernel_info()
    assert kc.get_shell_msg(timeout=TIMEOUT)["msg_type"] == "kernel_info_reply"
    reply, outputs = run(kc, "6 * 7")
    assert reply["status"] == "ok"
    assert results(outputs)[0]["data"]["text/plain"] == "42"
    assert kc.is_alive(), "heartbeats still answered"


def test_a_replayed_message_is_not_executed_again(kernel):
    """issue 20: the same signed execute_request, sent twice, ran twice. As ipykernel does, the
    kernel remembers the signatures it has seen and drops a repeat, on any channel."""
    km, kc = kernel
    run(kc, "let counter = 0;")
    info = km.get_connection_info()
    session = Session(key=info["key"], signature_scheme=info["signature_scheme"], username="replayer")
    request = session.msg("execute_request", {"code": "counter += 1;", "silent": False, "store_history": True,
                                              "user_expressions": {}, "allow_stdin": False})
    frames = session.serialize(request)
    context = zmq.Context.instance()
    socket = context.socket(zmq.DEALER)
    socket.connect(f"{info['transport']}://{info['ip']}:{info['shell_port']}")
    try:
        socket.send_multipart(frames)
        assert socket.poll(TIMEOUT * 1000), "the first copy is answered"
        _, reply = session.feed_identities(socket.recv_multipart())
        assert session.deserialize(reply)["content"]["status"] == "ok"
        socket.send_multipart(frames)
        assert socket.poll(2000) == 0, "the replayed copy must not be answered"
    finally:
        socket.close(linger=0)
    _, outputs = run(kc, "counter")
    assert results(outputs)[0]["data"]["text/plain"] == "1"


def test_a_runaway_cell_stops_at_the_operation_limit():
    """issue 20: `loop {}` in a cell ran for minutes; the kernel stops it at the operation limit
    of `qualkit run` and the REPL (made small here with QUALKIT_MAX_OPERATIONS)."""
    km, kc = start_new_kernel(kernel_name="qualkit", env={**os.environ, "QUALKIT_MAX_OPERATIONS": "100000"})
    try:
        reply, outputs = run(kc, "let n = 0;\nloop { n += 1; }")
        assert reply["status"] == "error"
        assert "operation limit of 100000" in reply["evalue"], reply["evalue"]
        assert results(outputs, "error")[0]["traceback"][0].startswith("In[1]:2:")
        # The session goes on, with what the cell did before it was stopped.
        _, outputs = run(kc, "n > 0")
        assert results(outputs)[0]["data"]["text/plain"] == "true"
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def test_a_cell_past_its_time_limit_stops_and_the_kernel_goes_on():
    """issue 20: a cell is stopped by the clock as `qualkit run` is (here after one second, set
    for this kernel with QUALKIT_MAX_SECONDS), whatever the operation limit; the next cell runs."""
    env = {**os.environ, "QUALKIT_MAX_SECONDS": "1", "QUALKIT_MAX_OPERATIONS": "1000000000000"}
    km, kc = start_new_kernel(kernel_name="qualkit", env=env)
    try:
        started = time.monotonic()
        reply, outputs = run(kc, "let n = 0;\nloop { n += 1; }")
        assert time.monotonic() - started < 10
        assert reply["status"] == "error"
        assert "time limit of 1 s" in reply["evalue"], reply["evalue"]
        assert results(outputs, "error")[0]["traceback"][0].startswith("In[1]:2:")
        reply, outputs = run(kc, "n > 0")
        assert reply["status"] == "ok"
        assert results(outputs)[0]["data"]["text/plain"] == "true"
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


# Starts the kernel as a Jupyter client does (naming itself in JPY_PARENT_PID), then waits.
CLIENT = """
import os, subprocess, sys, time
kernel = subprocess.Popen([sys.argv[1], "kernel", "--connection-file", sys.argv[2]],
                          env={**os.environ, "JPY_PARENT_PID": str(os.getpid())})
print(kernel.pid, flush=True)
time.sleep(600)
"""


def has_exited(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    try:  # an exited process nobody has reaped yet
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except FileNotFoundError:
        return True


@pytest.mark.skipif(sys.platform == "win32", reason="the parent is watched on Unix")
def test_the_kernel_exits_when_the_client_that_started_it_dies(tmp_path):
    """issue 20: a kernel whose client was killed ran on for ever. It watches the process in
    JPY_PARENT_PID and shuts down, even in the middle of a cell, once that process is gone."""
    connection_file, _ = write_connection_file(str(tmp_path / "kernel.json"))
    client = subprocess.Popen([sys.executable, "-c", CLIENT, QUALKIT, connection_file], stdout=subprocess.PIPE)
    kernel_pid = int(client.stdout.readline())
    kc = BlockingKernelClient(connection_file=connection_file)
    kc.load_connection_file()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=TIMEOUT)
        kc.execute("let n = 0; loop { n += 1; }")
        time.sleep(0.5)
        assert not has_exited(kernel_pid)
        client.send_signal(signal.SIGKILL)
        client.wait()
        deadline = time.monotonic() + 10
        while not has_exited(kernel_pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert has_exited(kernel_pid), "the kernel outlived the client that started it"
    finally:
        kc.stop_channels()
        if not has_exited(kernel_pid):
            os.kill(kernel_pid, signal.SIGKILL)


def test_a_thousand_executions_in_a_row(kernel):
    _, kc = kernel
    run(kc, "let n = 0;")
    for _ in range(1000):
        reply, _ = run(kc, "n += 1;")
        assert reply["status"] == "ok"
    reply, outputs = run(kc, "n")
    assert results(outputs)[0]["data"]["text/plain"] == "1000"
    assert reply["execution_count"] == 1002


def test_completion_knows_variables_functions_and_the_project_codes(kernel):
    _, kc = kernel
    run(kc, 'let p = project("data/deep-end"); let my_table = 1;')
    kc.complete("my_t", 4)
    assert kc.get_shell_msg(timeout=TIMEOUT)["content"]["matches"] == ["my_table"]
    code = 'p.segments("npt.coh'
    kc.complete(code, len(code))
    reply = kc.get_shell_msg(timeout=TIMEOUT)["content"]
    assert "npt.coherence" in reply["matches"]
    assert reply["cursor_start"] == code.index('"') + 1
    code = "p.matr"
    kc.complete(code, len(code))
    assert kc.get_shell_msg(timeout=TIMEOUT)["content"]["matches"] == ["matrix"]
    # After a receiver, only what its type has: a Project's methods for `p.`, a Table's for
    # `t.`, and a module's functions after `npt::`.
    run(kc, 'let t = p.matrix("case", "npt");')
    matches = lambda code: (kc.complete(code, len(code)), kc.get_shell_msg(timeout=TIMEOUT)["content"]["matches"])[1]
    project = matches("p.")
    assert "memos" in project and "segments" in project and "revert" in project
    assert "to_xlsx" not in project and "sort" not in project and "!" not in "".join(project)
    table = matches("t.")
    assert "sort" in table and "to_xlsx" in table and "memos" not in table
    assert {"construct", "constructs"} <= set(matches("npt::con")) and "explain" not in matches("npt::con")
    assert "explain" in matches("npt::")
    kc.inspect("p.matrix(", 5)
    reply = kc.get_shell_msg(timeout=TIMEOUT)["content"]
    assert reply["found"] and "Matrix coding" in reply["data"]["text/plain"]


def test_inspection_inside_a_calls_parentheses(kernel):
    _, kc = kernel
    run(kc, 'let p = project("data/deep-end");')
    for code in ['p.matrix("case", ', 'p.matrix("case", "npt").heatmap(', 'p.kwic("links", #{width: 40, ']:
        kc.inspect(code, len(code))
        reply = kc.get_shell_msg(timeout=TIMEOUT)["content"]
        assert reply["found"], code
    code = "npt::explain"
    kc.inspect(code, 6)
    reply = kc.get_shell_msg(timeout=TIMEOUT)["content"]
    assert reply["found"] and "```rhai" in reply["data"]["text/markdown"], "help as Markdown"
    assert "```" not in reply["data"]["text/plain"]
    code = 'p.matrix("case", "npt")'
    kc.inspect(code, code.index("case"))
    assert "Matrix coding" in kc.get_shell_msg(timeout=TIMEOUT)["content"]["data"]["text/plain"]


def sample_copy(tmp_path):
    """A copy of the sample project, so a test may code it."""
    import shutil

    target = tmp_path / "deep-end"
    shutil.copytree("data/deep-end", target, ignore=shutil.ignore_patterns(".qualkit"))
    return target


def shell_request(kc, msg_type, content):
    """Sends a shell message; returns the iopub messages under it until the kernel is idle."""
    msg = kc.session.msg(msg_type, content)
    kc.shell_channel.send(msg)
    seen = []
    deadline = time.time() + TIMEOUT
    while time.time() < deadline:
        m = kc.get_iopub_msg(timeout=TIMEOUT)
        if m["parent_header"].get("msg_id") != msg["header"]["msg_id"]:
            continue
        seen.append(m)
        if m["msg_type"] == "status" and m["content"]["execution_state"] == "idle":
            return seen
    raise AssertionError(f"no idle after {msg_type}")


def widget_update(messages):
    updates = [m["content"]["data"] for m in messages if m["msg_type"] == "comm_msg"]
    assert updates, [m["msg_type"] for m in messages]
    assert updates[-1]["method"] == "update"
    return updates[-1]["state"]


def coding_rows(project, coder):
    import csv

    path = project / "codings" / f"{coder}.csv"
    if not path.exists():
        return []
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_annotate_is_a_widget_that_codes_through_its_comm(kernel, tmp_path):
    _, kc = kernel
    project = sample_copy(tmp_path)
    reply, _ = run(kc, f'let p = project("{project}"); p.coder = "widget-tester";')
    assert reply["status"] == "ok", reply
    reply, outputs = run(kc, 'p.annotate("cobalt-p2-interview-gp")')
    assert reply["status"] == "ok", reply
    opens = [m["content"] for m in outputs if m["msg_type"] == "comm_open"]
    assert len(opens) == 1
    comm = opens[0]
    assert comm["target_name"] == "jupyter.widget"
    assert comm["metadata"]["version"].startswith("2.")
    state = comm["data"]["state"]
    assert state["_model_module"] == "anywidget" and state["_view_name"] == "AnyView"
    assert "export default" in state["_esm"]
    assert 'class="qk-lines"' in state["html"]
    assert state["coder"] == "widget-tester"
    assert any(c["id"] == "npt.coherence" for c in state["codes"])
    data = results(outputs)[0]["data"]
    assert data["application/vnd.jupyter.widget-view+json"]["model_id"] == comm["comm_id"]
    assert "needs a notebook front end with Jupyter widgets" in data["text/html"], "the fallback says why"

    shell_request(kc, "comm_info_request", {"target_name": "jupyter.widget"})
    reply = kc.get_shell_msg(timeout=TIMEOUT)
    assert comm["comm_id"] in reply["content"]["comms"]

    # A selection with white space around it, as a drag often makes.
    quote = "links worker"
    _, outputs = run(kc, f'p.document("cobalt-p2-interview-gp").text.index_of("{quote}")')
    doc_text_start = int(results(outputs)[0]["data"]["text/plain"])
    assert doc_text_start >= 1
    messages = shell_request(kc, "comm_msg", {
        "comm_id": comm["comm_id"],
        "data": {"method": "custom", "content": {
            "action": "code", "start": doc_text_start - 1, "end": doc_text_start + len(quote),
            "code": "npt.coherence"}},
    })
    state = widget_update(messages)
    assert state["message"]["kind"] == "ok", state["message"]
    assert "Coded" in state["message"]["text"]
    rows = coding_rows(project, "widget-tester")
    assert [(r["code"], r["quote"]) for r in rows] == [("npt.coherence", quote)]
    assert rows[0]["id"] in state["html"], "the new stripe is drawn"

    # A code that does not exist: an error in the widget, nothing stored.
    messages = shell_request(kc, "comm_msg", {
        "comm_id": comm["comm_id"],
        "data": {"method": "custom", "content": {"action": "code", "start": 0, "end": 4, "code": "no.such.code"}},
    })
    state = widget_update(messages)
    assert state["message"]["kind"] == "error"
    assert len(coding_rows(project, "widget-tester")) == 1

    def ask(content):
        return widget_update(shell_request(kc, "comm_msg", {
            "comm_id": comm["comm_id"], "data": {"method": "custom", "content": content}}))

    # Recode it, write its memo: the coding panel's buttons.
    assert ask({"action": "recode", "id": rows[0]["id"], "code": "npt.coherence.differentiation"})["message"]["kind"] == "ok"
    assert coding_rows(project, "widget-tester")[0]["code"] == "npt.coherence.differentiation"
    state = ask({"action": "memo", "id": rows[0]["id"], "text": "first mention of the gap"})
    assert state["message"]["kind"] == "ok"
    assert [c["memo"] for c in state["codings"] if c["id"] == rows[0]["id"]] == ["first mention of the gap"]
    assert "first mention of the gap" in (project / "memos.csv").read_text(encoding="utf-8")
    # Switch coder: the next coding is stored under the new name; a blank name is refused.
    assert ask({"action": "coder", "coder": "   "})["message"]["kind"] == "error"
    state = ask({"action": "coder", "coder": "second-coder"})
    assert state["coder"] == "second-coder"
    assert ask({"action": "code", "start": doc_text_start, "end": doc_text_start + len(quote), "code": "npt.coherence"})["message"]["kind"] == "ok"
    assert [r["quote"] for r in coding_rows(project, "second-coder")] == [quote]
    # Hostile requests get an error in the widget, never a dead kernel.
    for bad in [{"action": "code", "start": -1, "end": 5, "code": "npt"}, {"action": "code", "start": 10**15, "end": 10**15 + 1, "code": "npt"},
                {"action": "explode"}, {}, {"action": "uncode", "id": 7}]:
        assert ask(bad)["message"]["kind"] == "error", bad

    messages = shell_request(kc, "comm_msg", {
        "comm_id": comm["comm_id"],
        "data": {"method": "custom", "content": {"action": "uncode", "id": rows[0]["id"]}},
    })
    assert widget_update(messages)["message"]["kind"] == "ok"
    assert coding_rows(project, "widget-tester") == []
    log = (project / "log.jsonl").read_text(encoding="utf-8")
    assert '"widget-tester"' in log


def record_files(project):
    """Every file of a project but its cache, byte for byte."""
    return {
        str(path.relative_to(project)): path.read_bytes()
        for path in sorted(project.rglob("*"))
        if path.is_file() and ".qualkit" not in path.relative_to(project).parts
    }


def test_the_widget_shows_suggestions_and_accepting_one_is_a_revertable_coding(kernel, tmp_path):
    import json

    _, kc = kernel
    project = sample_copy(tmp_path)
    reply, _ = run(kc, f'let p = project("{project}"); p.coder = "widget-tester";')
    assert reply["status"] == "ok", reply
    before = record_files(project)
    reply, outputs = run(kc, 'p.annotate("cobalt-p1-focus-group", #{suggest: "npt.coherence"})')
    assert reply["status"] == "ok", reply
    comm = [m["content"] for m in outputs if m["msg_type"] == "comm_open"][0]
    state = comm["data"]["state"]
    suggesting = state["suggesting"]
    assert suggesting["code"] == "npt.coherence"
    shown = suggesting["suggestions"]
    assert shown, suggesting
    assert all(s["score"] >= 0.5 for s in shown)
    assert all(s["nearest"] for s in shown), "each suggestion has its reason"
    evaluation = suggesting["evaluation"]
    assert evaluation["examples"] > 0 and isinstance(evaluation["kappa"], float)
    assert "precision" in evaluation["summary"] and "recall" in evaluation["summary"]
    assert f'data-suggestion="{shown[0]["id"]}"' in state["html"]
    assert "border:1px dashed" in state["html"], "provisional marks, not stripes"
    fallback = results(outputs)[0]["data"]
    assert "needs a notebook front end with Jupyter widgets" in fallback["text/plain"]
    assert "not codings until accepted" in fallback["text/plain"]
    assert "kappa" in fallback["text/html"]
    assert record_files(project) == before, "showing suggestions stores nothing"

    def ask(content):
        return widget_update(shell_request(kc, "comm_msg", {
            "comm_id": comm["comm_id"], "data": {"method": "custom", "content": content}}))

    # Hostile requests: a clear error, nothing changed (not even the log).
    first = shown[0]
    for bad in [
        {"action": "accept"}, {"action": "accept", "id": 3}, {"action": "accept", "id": ["s1-2"]},
        {"action": "accept", "id": "s0-999999999"}, {"action": "accept", "start": first["start"], "end": first["end"]},
        {"action": "dismiss", "id": {"id": first["id"]}}, {"action": "accept_above", "score": "high"},
        {"action": "accept_above", "score": 1.5}, {"action": "accept_above", "score": None},
        {"action": "suggest", "code": "no.such.code"}, {"action": "suggest", "code": 12},
    ]:
        answer = ask(bad)
        assert answer["message"]["kind"] == "error", (bad, answer["message"])
        assert answer["message"]["text"], bad
        assert record_files(project) == before, bad
    assert [s["id"] for s in answer["suggesting"]["suggestions"]] == [s["id"] for s in shown]

    # Accept the best one: stored under widget-tester+suggest, with one log entry.
    answer = ask({"action": "accept", "id": first["id"]})
    assert answer["message"]["kind"] == "ok", answer["message"]
    text = answer["message"]["text"]
    assert f'{first["start"]}..{first["end"]}' in text and "widget-tester+suggest" in text, text
    rows = coding_rows(project, "widget-tester_suggest")
    assert [(r["document"], int(r["start"]), int(r["end"]), r["code"]) for r in rows] == [
        ("cobalt-p1-focus-group", first["start"], first["end"], "npt.coherence")]
    assert rows[0]["id"][:8] in text
    assert rows[0]["id"] in answer["html"], "the new stripe is drawn"
    assert first["id"] not in [s["id"] for s in answer["suggesting"]["suggestions"]]
    entry = json.loads((project / "log.jsonl").read_text(encoding="utf-8").splitlines()[-1])
    assert entry["action"] == "accept suggestions", entry
    assert entry["coder"] == "widget-tester+suggest"
    assert entry["detail"]["accepted_by"] == "widget-tester"
    assert entry["detail"]["method"] == "tfidf-logreg" and entry["detail"]["training"]["hash"]

    # Reverting that entry from a cell restores every file but the log byte for byte.
    reply, _ = run(kc, f'p.revert("{entry["id"]}");')
    assert reply["status"] == "ok", reply
    after = record_files(project)
    assert {k: v for k, v in after.items() if k != "log.jsonl"} == {k: v for k, v in before.items() if k != "log.jsonl"}
    reverted = json.loads(after["log.jsonl"].decode("utf-8").splitlines()[-1])
    assert reverted["action"] == "revert" and reverted["detail"]["reverts"] == entry["id"], reverted
    assert not coding_rows(project, "widget-tester_suggest")


def test_students_code_exercise_extracts_in_the_widget_and_check_their_codings(kernel, tmp_path):
    _, kc = kernel
    project = sample_copy(tmp_path)
    key = pathlib.Path("teaching/keys/npt-extracts-key.csv").resolve()
    reply, _ = run(kc, f'let p = project("{project}"); let ex = p.exercise("exercises/npt-extracts.csv", "{key}");')
    assert reply["status"] == "ok", reply
    reply, outputs = run(kc, 'ex.annotate("sam")')
    assert reply["status"] == "ok", reply
    comm = [m["content"] for m in outputs if m["msg_type"] == "comm_open"][0]
    state = comm["data"]["state"]
    assert state["coder"] == "sam"
    codes = {c["id"] for c in state["codes"]}
    assert {"npt.cognitive-participation.initiation", "npt.reflexive-monitoring", "none"} <= codes
    assert "context.leadership" not in codes, "only the constructs and No construct are offered"
    assert "I was the one who pushed for us to apply" in state["html"]

    # Select e02's quote in the workspace document and code it to a sub-construct; select
    # part of e14 and code it as fitting no construct.
    workspace = project / "exercises" / "npt-extracts-workspace"
    text = (workspace / "transcripts" / "extracts.txt").read_text(encoding="utf-8").split("---\n", 2)[2]

    def code(quote, code_id):
        start = text.index(quote)
        messages = shell_request(kc, "comm_msg", {
            "comm_id": comm["comm_id"],
            "data": {"method": "custom", "content": {
                "action": "code", "start": start, "end": start + len(quote), "code": code_id}},
        })
        state = widget_update(messages)
        assert state["message"]["kind"] == "ok", state["message"]

    code("I was the one who pushed for us to apply", "npt.cognitive-participation.initiation")
    code("eating up my time", "none")
    code("Everybody refers, for a start.", "npt.collective-action")
    rows = coding_rows(workspace, "sam")
    assert sorted(r["code"] for r in rows) == ["none", "npt.cognitive-participation.initiation", "npt.collective-action"]
    assert not coding_rows(project, "sam"), "the study's own codings are untouched"

    reply, outputs = run(kc, 'let mine = ex.coded("sam"); mine')
    assert reply["status"] == "ok", reply
    reply, outputs = run(kc, 'let s = ex.score(mine); `${s.answered} ${s.agreed} ${s.defensible} ${s.sub_agreed}`')
    assert results(outputs)[0]["data"]["text/plain"].strip('"') == "3 2 1 1"
    reply, outputs = run(kc, 'ex.check(mine)')
    html = results(outputs)[0]["data"]["text/html"]
    assert "Initiation: agrees" in html
    assert "not answered yet" in html


def test_comms_to_unknown_targets_are_closed(kernel):
    _, kc = kernel
    messages = shell_request(kc, "comm_open", {"comm_id": "abc", "target_name": "nobody.here", "data": {}})
    closes = [m for m in messages if m["msg_type"] == "comm_close"]
    assert closes and closes[0]["content"]["comm_id"] == "abc"


def test_run_all_stops_at_an_error(kernel):
    _, kc = kernel
    first = kc.execute("let n = 1;")
    failing = kc.execute('throw "stop here";')
    queued = kc.execute("n = 2;")
    replies = {}
    while len(replies) < 3:
        m = kc.get_shell_msg(timeout=TIMEOUT)
        replies[m["parent_header"]["msg_id"]] = m["content"]
    assert replies[first]["status"] == "ok"
    assert replies[failing]["status"] == "error"
    assert replies[queued]["status"] == "aborted"
    # A cell sent once the error has come back runs.
    reply, outputs = run(kc, "n")
    assert results(outputs)[0]["data"]["text/plain"] == "1", "the queued cell did not run"
    # Without stop_on_error the next cell runs.
    failing = kc.execute('throw "again";', stop_on_error=False)
    queued = kc.execute("n = 3;")
    replies = {}
    while len(replies) < 2:
        m = kc.get_shell_msg(timeout=TIMEOUT)
        replies[m["parent_header"]["msg_id"]] = m["content"]
    assert replies[queued]["status"] == "ok"
