#!/usr/bin/env bash
# Writes the seed corpora in fuzz/seeds/<target>/ from the sample project data/deep-end and the
# formats the tests build (tests/core/formats.rs): small valid files the fuzzer mutates. Run
# from anywhere after `cargo build --bin qualkit` (for the .qdpx/.qdc seeds); the output is
# committed, so this only needs running when a format changes.
set -euo pipefail
cd "$(dirname "$0")/.."
qualkit=${QUALKIT:-${CARGO_TARGET_DIR:-target}/debug/qualkit}
seeds=fuzz/seeds
deep=data/deep-end
rm -rf "$seeds"
mkdir -p "$seeds"/{transcript,captions,docx,xlsx,survey_csv,codebook,codings_csv,qdpx,qdc,zmtp_frames,kernel_message}

for f in magenta-p3-interview-clp.txt ochre-p2-interview-nurse.txt magenta-p2-interview-pm.md cobalt-p2-interview-receptionist.md; do
    cp "$deep/transcripts/$f" "$seeds/transcript/$f"
done
printf -- '---\ncase: Magenta\nmethod: interview\nparticipants:\n  - name: Dr Jones\n    role: GP\n---\n[00:01] Dr Jones: We refer a lot now.\nInterviewer: Why?\n' > "$seeds/transcript/front-matter.txt"
head -c 4000 "$deep/transcripts/p2-email-survey.csv" | sed '$d' > "$seeds/survey_csv/p2-email-survey.csv"
head -c 4000 "$deep/transcripts/p4-email-survey.csv" | sed '$d' > "$seeds/survey_csv/p4-email-survey.csv"
cp "$deep/codebook.yaml" "$seeds/codebook/deep-end.yaml"
printf 'version: "1"\ncodes:\n  - name: Barriers # why not\n    color: "#aa0000"\n    children:\n      - name: Time\n        description: |\n          Not enough of it.\n  - id: x.y\n    name: Other\n' > "$seeds/codebook/small.yaml"
for coder in ak rb; do head -6 "$deep/codings/$coder.csv" > "$seeds/codings_csv/$coder.csv"; done
printf 'document,code,quote,memo\nmagenta-p3-interview-clp,npt.coherence,"the link worker",a memo\n' > "$seeds/codings_csv/quotes.csv"

python3 - "$seeds" <<'PY'
import hashlib, hmac, json, struct, sys, zipfile, io
seeds = sys.argv[1]
def write(path, data):
    open(f"{seeds}/{path}", "wb").write(data if isinstance(data, bytes) else data.encode())
write("captions/call.vtt", "WEBVTT\n\nNOTE exported from a video call\nwith two lines\n\n1\n00:00:01.000 --> 00:00:04.500\n<v Dr Jones>The link worker started in May.</v>\n\n2\n00:00:04.500 --> 00:00:07.000\n<v Dr Jones>We refer <i>a lot</i> now.\n\n3\n00:01:02.250 --> 00:01:05.000 align:start\n<v.loud Sam Reid>Patients ask for her by name.\n")
write("captions/call.srt", "1\n00:00:01,000 --> 00:00:04,500\nDr Jones: The link worker started in May.\n\n2\n00:00:04,500 --> 00:00:07,000\nWe refer a lot now.\n\n3\n01:00:02,250 --> 01:00:05,000\n<b>Sam Reid:</b> Patients ask for her by name.\n")
def archive(entries):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in entries:
            z.writestr(name, text)
    return out.getvalue()
body = """<w:p><w:r><w:rPr><w:b/></w:rPr><w:t>Interviewer:</w:t></w:r><w:r><w:t xml:space="preserve"> How did it go?</w:t></w:r></w:p>
<w:p/>
<w:p><w:r><w:t>Magenta GP: Well.</w:t></w:r><w:r><w:tab/><w:t>Really</w:t><w:br/><w:t>well &amp; quickly.</w:t></w:r><w:del><w:r><w:delText>not shown</w:delText></w:r></w:del></w:p>
<w:tbl><w:tr><w:tc><w:p><w:r><w:t>table text</w:t></w:r></w:p></w:tc></w:tr></w:tbl>"""
document = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>{body}<w:sectPr/></w:body></w:document>'
write("docx/interview.docx", archive([("[Content_Types].xml", "<Types/>"), ("word/document.xml", document)]))
ct = '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'
rels = '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
wb = '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="answers" sheetId="1" r:id="rId1"/></sheets></workbook>'
wbrels = '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>'
strings = ["case", "respondent", "text", "date", "Magenta", "R1", "We refer a lot now.", "Teal", "R2", "Not enough time."]
sst = '<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="%d" uniqueCount="%d">%s</sst>' % (len(strings), len(strings), "".join(f"<si><t>{s}</t></si>" for s in strings))
def row(r, cells):
    return f'<row r="{r}">' + "".join(cells) + "</row>"
sheet = ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="A1:D3"/><sheetData>'
    + row(1, [f'<c r="{c}1" t="s"><v>{i}</v></c>' for i, c in enumerate("ABCD")])
    + row(2, ['<c r="A2" t="s"><v>4</v></c>', '<c r="B2" t="s"><v>5</v></c>', '<c r="C2" t="s"><v>6</v></c>', '<c r="D2"><v>42430</v></c>'])
    + row(3, ['<c r="A3" t="s"><v>7</v></c>', '<c r="B3" t="s"><v>8</v></c>', '<c r="C3" t="inlineStr"><is><t>Not enough time.</t></is></c>', '<c r="D3" t="str"><v>2016-03-02</v></c>'])
    + "</sheetData></worksheet>")
write("xlsx/survey.xlsx", archive([("[Content_Types].xml", ct), ("_rels/.rels", rels), ("xl/workbook.xml", wb), ("xl/_rels/workbook.xml.rels", wbrels), ("xl/worksheets/sheet1.xml", sheet), ("xl/sharedStrings.xml", sst)]))

# ZMTP 3.0: a NULL-mechanism greeting, a READY command, then a two-frame message and a long frame.
greeting = b"\xff" + b"\0" * 8 + b"\x7f" + bytes([3, 0]) + b"NULL".ljust(20, b"\0") + b"\0" + b"\0" * 31
def command(name, props):
    body = bytes([len(name)]) + name + b"".join(bytes([len(k)]) + k + struct.pack(">I", len(v)) + v for k, v in props)
    return bytes([0x04, len(body)]) + body
ready = command(b"READY", [(b"Socket-Type", b"ROUTER"), (b"Identity", b"")])
message = bytes([0x01, 5]) + b"hello" + bytes([0x00, 0])
long = bytes([0x02]) + struct.pack(">Q", 300) + b"x" * 300
write("zmtp_frames/handshake", b"\x40" + greeting + ready + message)
write("zmtp_frames/long-frame", b"\x07" + greeting + ready + long + message)

# Jupyter messages: mode byte (1 = session key, 2 = harness signs), frames split by NUL.
key = b"a0436f6c-1916-498b-8eb9-e81ab9368e84"
def frames(msg_type, content, identities=(b"client-1",)):
    header = json.dumps({"msg_id": "a1", "session": "s1", "username": "u", "date": "2026-01-01T00:00:00Z", "msg_type": msg_type, "version": "5.3"}).encode()
    parts = [header, b"{}", b"{}", json.dumps(content).encode()]
    signature = hmac.new(key, b"".join(parts), hashlib.sha256).hexdigest().encode()
    return list(identities) + [b"<IDS|MSG>", signature] + parts
write("kernel_message/execute-signed", b"\x03" + b"\0".join(frames("execute_request", {"code": "1 + 1", "silent": False})))
write("kernel_message/kernel-info-unsigned", b"\x00" + b"\0".join(frames("kernel_info_request", {})))
write("kernel_message/complete-keyed", b"\x01" + b"\0".join(frames("complete_request", {"code": "pro", "cursor_pos": 3}) + [b"buffer"]))
PY
# A two-document project with a few codings by each coder, exported.
work=$(mktemp -d)
cp -r "$deep" "$work/small"
(cd "$work/small" && rm -rf .qualkit log.jsonl summaries.csv nomad.csv classifications.csv memos.csv &&
    find transcripts -type f ! -name magenta-p3-interview-clp.txt ! -name magenta-p2-interview-pm.md -delete &&
    for f in codings/*.csv; do { head -1 "$f"; grep -E ',(magenta-p3-interview-clp|magenta-p2-interview-pm),' "$f" | head -6; } > "$f.new"; mv "$f.new" "$f"; done)
"$qualkit" export "$work/small" "$seeds/qdpx/small.qdpx"
"$qualkit" export "$work/small" "$seeds/qdc/small.qdc"
rm -rf "$work"
du -sh "$seeds"
