//! The document view as HTML. Inline styles only (no `<style>`, no script), so the view reads
//! the same in JupyterLab, in a saved notebook and on a site that renders notebooks; the
//! annotation widget adds its behaviour to this same markup through the `qk-*` classes and
//! `data-*` attributes.

use std::fmt::Write;

use super::DocumentView;
use crate::support::text::escape_html as escape;

const FONT: &str = "font-family:ui-sans-serif,system-ui,-apple-system,'Segoe UI',sans-serif;font-size:13px;line-height:1.45";

pub(super) fn render(view: &DocumentView, note: Option<&str>) -> String {
    let mut out = String::with_capacity(view.length * 2 + view.codings.len() * 200);
    let _ = write!(
        out,
        "<div class=\"qk-doc\" data-document=\"{}\" style=\"{FONT};color:#222\">",
        escape(&view.document)
    );
    if let Some(note) = note {
        let _ = write!(
            out,
            "<div class=\"qk-note\" style=\"margin:0 0 6px;padding:4px 8px;background:#fff8e1;border-left:3px solid #f0b400\">{}</div>",
            escape(note)
        );
    }
    let mut filters = Vec::new();
    if let Some(code) = &view.filter.code {
        filters.push(format!("code {}", escape(code)));
    }
    if let Some(coder) = &view.filter.coder {
        filters.push(format!("coder {}", escape(coder)));
    }
    let _ = write!(
        out,
        "<div class=\"qk-doc-head\" style=\"margin-bottom:4px\"><b>{}</b> · {} · case <b>{}</b> · {} code points · {} coding{} shown{}{}</div>",
        escape(&view.document),
        escape(&view.source),
        escape(&view.case),
        view.length,
        view.codings.len(),
        if view.codings.len() == 1 { "" } else { "s" },
        if filters.is_empty() {
            String::new()
        } else {
            format!(" (only {})", filters.join(", "))
        },
        match view.suggestions.len() {
            0 => String::new(),
            n => format!(
                " · <span class=\"qk-suggested-count\" style=\"border:1px dashed #888;border-radius:3px;padding:0 3px\">{n} suggestion{} (not codings until accepted)</span>",
                if n == 1 { "" } else { "s" }
            ),
        }
    );
    legend(view, &mut out);
    out.push_str(
        "<div class=\"qk-lines-box\" style=\"max-height:40em;overflow-y:auto;border:1px solid #e3e3e3\">\
         <table class=\"qk-lines\" style=\"border-collapse:collapse;border:none;width:100%;margin:0;table-layout:auto;font-size:inherit\"><tbody>",
    );
    // Which coding draws each lane of the current line, and whether it starts or ends there.
    let mut by_line: Vec<Vec<usize>> = vec![Vec::new(); view.lines.len()];
    for (i, c) in view.codings.iter().enumerate() {
        for slot in by_line.iter_mut().take(c.last_line + 1).skip(c.first_line) {
            slot.push(i);
        }
    }
    for (i, line) in view.lines.iter().enumerate() {
        let turn_starts = line.label.is_some();
        let _ = write!(
            out,
            "<tr data-line=\"{}\"{} style=\"background:none\"><td class=\"qk-ln\" title=\"offset {}\" style=\"width:1%;white-space:nowrap;color:#999;text-align:right;padding:0 6px 0 2px;vertical-align:top;user-select:none;font-variant-numeric:tabular-nums;border:none;line-height:inherit\">{}</td>",
            line.number,
            if turn_starts {
                " class=\"qk-turn\""
            } else {
                ""
            },
            line.start,
            line.number
        );
        let mut lanes = vec![None; view.lanes];
        for &c in &by_line[i] {
            lanes[view.codings[c].lane] = Some(c);
        }
        for lane in lanes {
            match lane {
                None => out.push_str(
                    "<td class=\"qk-lane\" style=\"width:5px;min-width:5px;padding:0;border:none;border-left:2px solid transparent;background:none\"></td>",
                ),
                Some(c) => {
                    let c = &view.codings[c];
                    let mut title = format!("{} · {} · {}", c.code_path, c.coder, c.id);
                    if let Some(memo) = &c.memo {
                        let _ = write!(title, "\nmemo: {memo}");
                    }
                    let top = if i == c.first_line { "3px" } else { "0" };
                    let bottom = if i == c.last_line { "3px" } else { "0" };
                    let _ = write!(
                        out,
                        "<td class=\"qk-lane qk-stripe\" data-coding=\"{}\" data-code=\"{}\" title=\"{}\" style=\"width:5px;min-width:5px;padding:0;border:none;border-left:2px solid #fff;background:{};border-radius:{top} {top} {bottom} {bottom};cursor:pointer\"></td>",
                        escape(&c.id),
                        escape(&c.code),
                        escape(&title),
                        escape(&c.color),
                    );
                }
            }
        }
        let border = if turn_starts && i > 0 {
            "border-top:1px solid #e6e6e6"
        } else {
            "border:none"
        };
        let _ = write!(
            out,
            "<td class=\"qk-text\" data-start=\"{}\" data-end=\"{}\" style=\"white-space:pre-wrap;word-break:break-word;text-align:left;vertical-align:top;padding:0 4px 0 8px;line-height:inherit;{border}\">",
            line.start, line.end
        );
        line_text(view, line, &mut out);
        out.push_str("</td></tr>");
    }
    out.push_str("</tbody></table></div></div>");
    out
}

/// A pale form of a `#rrggbb` colour, for the background of a suggested stretch.
fn tint(color: &str) -> String {
    if color.len() == 7
        && color.starts_with('#')
        && color[1..].chars().all(|c| c.is_ascii_hexdigit())
    {
        format!("{color}1f")
    } else {
        "transparent".into()
    }
}

/// A line's text: the speaker label in bold, and each suggested stretch in a dashed box of its
/// code's colour (a provisional mark, unlike a coding's solid stripe). The marks add no text,
/// so a selection's offsets count the document's own characters only.
fn line_text(view: &DocumentView, line: &super::Line, out: &mut String) {
    let label_len = line.label.as_ref().map_or(0, |(len, _)| *len);
    let mut run = String::new();
    let mut current: (bool, Option<usize>) = (false, None);
    let suggestion_at = |at: usize| {
        view.suggestions
            .iter()
            .position(|s| s.start <= at && at < s.end)
    };
    let flush = |run: &mut String, (label, suggestion): (bool, Option<usize>), out: &mut String| {
        if run.is_empty() {
            return;
        }
        if let Some(i) = suggestion {
            let s = &view.suggestions[i];
            let last = s.end <= line.end;
            let _ = write!(
                out,
                "<span class=\"qk-suggested\" data-suggestion=\"{}\" data-score=\"{:.2}\"{} title=\"{}\" style=\"border:1px dashed {};background:{};border-radius:3px;box-decoration-break:clone;-webkit-box-decoration-break:clone;cursor:pointer\">",
                escape(&s.id),
                s.score,
                if last { " data-last=\"\"" } else { "" },
                escape(&format!(
                    "suggested: {} · score {:.2} · {}..{} (not a coding until accepted)\n{}",
                    s.code_path, s.score, s.start, s.end, s.reason
                )),
                escape(&s.color),
                escape(&tint(&s.color)),
            );
        }
        if label {
            let speaker = line
                .label
                .as_ref()
                .map_or("", |(_, speaker)| speaker.as_str());
            let _ = write!(out, "<b class=\"qk-label\" title=\"{}\">", escape(speaker));
        }
        out.push_str(&escape(run));
        if label {
            out.push_str("</b>");
        }
        if suggestion.is_some() {
            out.push_str("</span>");
        }
        run.clear();
    };
    for (i, c) in line.text.chars().enumerate() {
        let here = (i < label_len, suggestion_at(line.start + i));
        if here != current {
            flush(&mut run, current, out);
            current = here;
        }
        run.push(c);
    }
    flush(&mut run, current, out);
}

fn legend(view: &DocumentView, out: &mut String) {
    if view.legend.is_empty() {
        return;
    }
    out.push_str("<div class=\"qk-legend\" style=\"margin:0 0 4px;display:flex;flex-wrap:wrap;gap:2px 12px\">");
    for entry in &view.legend {
        let _ = write!(
            out,
            "<span class=\"qk-key\" data-code=\"{}\"><span style=\"display:inline-block;width:10px;height:10px;border-radius:2px;background:{};margin-right:4px;vertical-align:-1px\"></span>{} ({})</span>",
            escape(&entry.code),
            escape(&entry.color),
            escape(&entry.path),
            entry.count
        );
    }
    out.push_str("</div>");
}
