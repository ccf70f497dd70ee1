//! What every layer leans on and that knows nothing of qualitative analysis: reading text
//! files whatever their encoding, CSV files with line numbers, zip archives and XML read
//! within limits, memory budgets, and seeded random numbers.

pub mod archive;
pub mod budget;
pub mod csv_table;
pub(crate) mod seeded;
pub mod text;
pub mod xml;
