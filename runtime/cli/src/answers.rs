//! The `--answers` and `--interactive` options shared by `invoke` and `resume`.

use std::io::BufReader;

use anyhow::Context;

use enact_core::answer::{Answerer, NoAnswers};
use enact_llm::LlmAnswers;

use crate::Io;
use crate::answerers::{FileAnswers, Terminal};
use enact_runtime::Runtime;

#[derive(Debug, clap::Args)]
pub(super) struct AnswerArgs {
    /// Answer input requests from a JSON list (in order) or map (from prompt to answer), inline, from a FILE or `-` (stdin); or with the LLM (`llm`)
    #[arg(long, value_name = "JSON|FILE|-|llm", conflicts_with = "interactive")]
    answers: Option<String>,
    /// Ask on the terminal for every input request
    #[arg(long)]
    interactive: bool,
}

impl AnswerArgs {
    /// Whether any source of answers was given.
    pub(super) fn given(&self) -> bool {
        self.interactive || self.answers.is_some()
    }

    /// The answerer these options ask for; with none, requests suspend.
    pub(super) fn answerer(&self, rt: &Runtime, io: &Io) -> anyhow::Result<Box<dyn Answerer>> {
        if self.interactive {
            return Ok(Box::new(Terminal::new(BufReader::new(io.console.clone()), io.console.clone())));
        }
        match self.answers.as_deref() {
            None => Ok(Box::new(NoAnswers)),
            Some("llm") => {
                let provider = rt
                    .llm()
                    .context("`--answers llm` needs an LLM; hint: set ENACT_LLM_URL or pass `--llm scripted:FILE`")?;
                Ok(Box::new(LlmAnswers::new(provider.clone())))
            }
            Some(source) => Ok(Box::new(FileAnswers::open_in(source, io).map_err(anyhow::Error::msg)?)),
        }
    }
}
