//! Rhai's built-in functions that build a value as large as a number the script gives
//! (`pad`, `blob`), registered again so that the number is checked against the memory budget
//! before anything is allocated. Rhai's own versions check only its per-value size limits,
//! which qualkit leaves off: they measure a whole array on every `push`.

use rhai::{Array, Blob, Dynamic, Engine, FuncRegistration, INT, ImmutableString, Map};

use super::base::{Fallible, fail};
use crate::support::budget::ensure_room;

/// Bytes a copy of `value` takes beyond its slot in an array: arrays and maps are copied
/// element by element; text is shared between copies.
fn copy_size(value: &Dynamic) -> usize {
    let slot = std::mem::size_of::<Dynamic>();
    if let Some(array) = value.read_lock::<Array>() {
        return array.iter().map(|v| slot + copy_size(v)).sum();
    }
    if let Some(map) = value.read_lock::<Map>() {
        return map
            .iter()
            .map(|(k, v)| k.len() + 2 * slot + copy_size(v))
            .sum();
    }
    0
}

/// Refuses a `pad` or `blob` that would not fit in what the script has left.
fn ensure_growth(
    function: &str,
    len: usize,
    added: usize,
    unit: &str,
    each: usize,
) -> Fallible<()> {
    ensure_room(
        function,
        &format!("`len` {len} adds {added} {unit}"),
        added.saturating_mul(each),
        "ask for a smaller length",
    )
    .map_err(fail)
}

fn byte(value: INT) -> u8 {
    (value & 0xff) as u8
}

pub(super) fn register(engine: &mut Engine) {
    FuncRegistration::new("pad")
        .with_comments([
            "/// Pads the array to at least `len` elements with copies of `item`.\n///\n/// ```rhai\n/// let counts = [3, 5];\n/// counts.pad(4, 0);   // [3, 5, 0, 0]\n/// ```",
        ])
        .with_params_info(["array: &mut Array", "len: INT", "item: Dynamic", "()"])
        .register_into_engine(
            engine,
            |array: &mut Array, len: INT, item: Dynamic| -> Fallible<()> {
                let len = usize::try_from(len).unwrap_or(0);
                if len <= array.len() {
                    return Ok(());
                }
                let each = std::mem::size_of::<Dynamic>() + copy_size(&item);
                ensure_growth("pad", len, len - array.len(), "elements", each)?;
                array.resize(len, item);
                Ok(())
            },
        );
    FuncRegistration::new("pad")
        .with_comments([
            "/// Pads the text at its end to at least `len` characters with `character`.\n///\n/// ```rhai\n/// let label = \"P1\";\n/// label.pad(6, '.');   // \"P1....\"\n/// ```",
        ])
        .with_params_info(["string: &mut String", "len: INT", "character: char", "()"])
        .register_into_engine(
            engine,
            |string: &mut ImmutableString, len: INT, character: char| -> Fallible<()> {
                let len = usize::try_from(len).unwrap_or(0);
                let count = string.chars().count();
                if len <= count {
                    return Ok(());
                }
                ensure_growth("pad", len, len - count, "characters", character.len_utf8())?;
                let text = string.make_mut();
                text.extend(std::iter::repeat_n(character, len - count));
                Ok(())
            },
        );
    FuncRegistration::new("pad")
        .with_comments([
            "/// Pads the text at its end to at least `len` characters with repeats of `padding`, cut\n/// at `len`.\n///\n/// ```rhai\n/// let s = \"hello\";\n/// s.pad(10, \"(!)\");   // \"hello(!)(!\"\n/// ```",
        ])
        .with_params_info(["string: &mut String", "len: INT", "padding: &str", "()"])
        .register_into_engine(
            engine,
            |string: &mut ImmutableString, len: INT, padding: &str| -> Fallible<()> {
                let len = usize::try_from(len).unwrap_or(0);
                let count = string.chars().count();
                if len <= count || padding.is_empty() {
                    return Ok(());
                }
                let each = padding.len().div_ceil(padding.chars().count());
                ensure_growth("pad", len, len - count, "characters", each)?;
                let text = string.make_mut();
                text.extend(padding.chars().cycle().take(len - count));
                Ok(())
            },
        );
    FuncRegistration::new("pad")
        .with_comments([
            "/// Pads the BLOB to at least `len` bytes with copies of `value` (its lower 8 bits).\n///\n/// ```rhai\n/// let b = blob(2, 0x41);\n/// b.pad(4, 0);   // [41410000]\n/// ```",
        ])
        .with_params_info(["blob: &mut Blob", "len: INT", "value: INT", "()"])
        .register_into_engine(
            engine,
            |blob: &mut Blob, len: INT, value: INT| -> Fallible<()> {
                let len = usize::try_from(len).unwrap_or(0);
                if len <= blob.len() {
                    return Ok(());
                }
                ensure_growth("pad", len, len - blob.len(), "bytes", 1)?;
                blob.resize(len, byte(value));
                Ok(())
            },
        );
    FuncRegistration::new("blob")
        .with_comments([
            "/// A BLOB of `len` zero bytes.\n///\n/// ```rhai\n/// let b = blob(10);\n/// ```",
        ])
        .with_params_info(["len: INT", "Blob"])
        .register_into_engine(engine, |len: INT| -> Fallible<Blob> {
            let len = usize::try_from(len).unwrap_or(0);
            ensure_growth("blob", len, len, "bytes", 1)?;
            Ok(vec![0; len])
        });
    FuncRegistration::new("blob")
        .with_comments([
            "/// A BLOB of `len` copies of `value` (its lower 8 bits).\n///\n/// ```rhai\n/// let b = blob(10, 0x42);\n/// ```",
        ])
        .with_params_info(["len: INT", "value: INT", "Blob"])
        .register_into_engine(engine, |len: INT, value: INT| -> Fallible<Blob> {
            let len = usize::try_from(len).unwrap_or(0);
            ensure_growth("blob", len, len, "bytes", 1)?;
            Ok(vec![byte(value); len])
        });
}
