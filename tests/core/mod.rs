mod analysis;
mod cli;
mod coding;
mod generate;
mod ingest;
mod sample;
mod script;
mod store;
