//! `kview demo ml produce|train`: the demo pipelines as scriptable commands.

use std::io::Write;

use anyhow::Result;

use crate::cli::MlCommand;
use crate::demo::ml::pipeline::{self, ProducerOptions, Topics, TrainerOptions};
use crate::kafka::KafkaClient;

pub async fn ml(client: &KafkaClient, command: &MlCommand, out: &mut impl Write) -> Result<()> {
    match command {
        MlCommand::Produce {
            topics,
            dataset,
            epochs,
            rate,
            seed,
            test_fraction,
        } => {
            if !(0.0..1.0).contains(test_fraction) || *test_fraction == 0.0 {
                anyhow::bail!("--test-fraction must be between 0 and 1");
            }
            let options = ProducerOptions {
                topics: Topics::with_prefix(&topics.prefix),
                dataset: dataset.clone(),
                epochs: *epochs,
                rate: *rate,
                seed: *seed,
                test_fraction: *test_fraction,
            };
            let run = pipeline::new_run_id();
            let summary = pipeline::produce(client, &options, &run).await?;
            writeln!(
                out,
                "{}: {} train samples to {}, {} test samples to {}",
                summary.run,
                summary.train_sent,
                options.topics.train,
                summary.test_sent,
                options.topics.test
            )?;
        }
        MlCommand::Train {
            topics,
            db,
            eval_every,
            group,
            follow,
            seed,
        } => {
            let options = TrainerOptions {
                topics: Topics::with_prefix(&topics.prefix),
                group: group.clone(),
                eval_every: *eval_every,
                db: Some(db.clone()),
                exit_when_done: !follow,
                seed: *seed,
            };
            if let Some(summary) = pipeline::train(client, &options).await? {
                let finals: Vec<String> = summary
                    .final_metrics
                    .iter()
                    .map(|m| format!("{} accuracy {:.3} loss {:.3}", m.model, m.accuracy, m.loss))
                    .collect();
                writeln!(
                    out,
                    "{}: {} samples; {}",
                    summary.run,
                    summary.samples_seen,
                    finals.join(", ")
                )?;
            }
        }
    }
    Ok(())
}
