mod agreement;
mod analysis;
mod cli;
mod coding;
mod ingest;
mod sample;
mod script;
mod store;
