"""The Jupyter project's own kernel conformance suite, with every test it offers enabled."""

import unittest

import jupyter_kernel_test as jkt


class QualkitKernelTests(jkt.KernelTests):
    kernel_name = "qualkit"
    language_name = "rhai"
    file_extension = ".rhai"

    code_hello_world = 'print("hello, world")'
    code_stderr = 'eprint("something went wrong")'

    completion_samples = [
        {"text": "proj", "matches": {"project", "project_copy"}},
        {"text": "cooc", "matches": {"cooccurrence"}},
    ]
    complete_code_samples = ["1 + 1", "let x = 2;", "fn f(a) { a + 1 }"]
    incomplete_code_samples = ["fn f(a) {", "let x = [1, 2,", "if true {"]
    invalid_code_samples = ["let = 5;", "1 +* 2"]

    code_page_something = 'page(help_text("matrix"))'

    code_generate_error = 'throw "this cell fails on purpose"'

    code_execute_result = [
        {"code": "6 * 7", "result": "42"},
        {"code": '"qual" + "kit"', "result": "qualkit"},
        {"code": "[1, 2, 3].len()", "result": "3"},
    ]
    code_history_pattern = "6 *"
    supported_history_operations = ("tail", "range", "search")

    code_display_data = [
        {"code": 'display(table([#{code: "npt.coherence", n: 3}]))', "mime": "text/html"},
        {"code": 'display(table([#{phase: "P1", n: 3}, #{phase: "P2", n: 5}]).bars())', "mime": "image/svg+xml"},
    ]

    code_inspect_sample = "project"
    code_clear_output = "clear_output()"


class QualkitIopubWelcomeTests(jkt.IopubWelcomeTests):
    kernel_name = "qualkit"
    support_iopub_welcome = True


if __name__ == "__main__":
    unittest.main()
