mod analysis;
mod cli;
mod coding;
mod exchange;
mod ingest;
mod sample;
mod script;
mod store;
