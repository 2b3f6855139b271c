//! Colours for the words on stderr that people scan for (`error:`, `hint:`,
//! an invocation's status), on a terminal only and never when `NO_COLOR` is
//! set or `TERM` is `dumb`. Data on stdout is never styled.

use std::collections::HashMap;

use anstyle::{AnsiColor, Style as Ansi};

/// How stderr's words are styled.
#[derive(Clone, Copy, Debug, Default)]
pub struct Style {
    color: bool,
}

impl Style {
    /// No colours.
    pub fn plain() -> Style {
        Style { color: false }
    }

    /// Colours when stderr is a `terminal` and the environment allows them.
    pub fn for_terminal(terminal: bool, env: &HashMap<String, String>) -> Style {
        let no_color = env.get("NO_COLOR").is_some_and(|v| !v.is_empty());
        let dumb = env.get("TERM").is_some_and(|t| t == "dumb");
        Style { color: terminal && !no_color && !dumb }
    }

    /// Whether words are coloured.
    pub fn colored(self) -> bool {
        self.color
    }

    fn paint(self, style: Ansi, text: &str) -> String {
        if self.color { format!("{style}{text}{style:#}") } else { text.to_string() }
    }

    /// `error:`, bold red.
    pub fn error(self, text: &str) -> String {
        self.paint(Ansi::new().bold().fg_color(Some(AnsiColor::Red.into())), text)
    }

    /// `hint:`, bold cyan.
    pub fn hint(self, text: &str) -> String {
        self.paint(Ansi::new().bold().fg_color(Some(AnsiColor::Cyan.into())), text)
    }

    /// An invocation's status: green when completed, yellow when it can go
    /// on (awaiting input, incomplete), red otherwise.
    pub fn status(self, status: &str) -> String {
        let color = match status {
            "completed" => AnsiColor::Green,
            "awaiting-input" | "incomplete" => AnsiColor::Yellow,
            _ => AnsiColor::Red,
        };
        self.paint(Ansi::new().bold().fg_color(Some(color.into())), status)
    }
}
