//! The produce form: topic, partition, key, a multi-line value and headers.

use super::super::action::Action;
use super::super::event::{Command, ProduceRequest, Produced};
use super::super::input::TextInput;
use super::super::state::{State, go_back};
use super::View;
use crate::kafka::{Header, validate_topic_name};
use crate::schema::SchemaChoice;

pub const FIELD_TOPIC: usize = 0;
pub const FIELD_PARTITION: usize = 1;
pub const FIELD_KEY: usize = 2;
pub const FIELD_VALUE: usize = 3;
pub const FIELD_HEADERS: usize = 4;
pub const FIELD_SCHEMA: usize = 5;
pub const FIELD_NAMES: [&str; 6] = [
    "Topic",
    "Partition",
    "Key",
    "Value",
    "Headers",
    "Value schema",
];

#[derive(Debug, Clone, Default)]
pub struct ProduceForm {
    pub fields: [TextInput; 6],
    /// Send a JSON value with its line breaks and indentation (off: compact, one line).
    pub keep_formatting: bool,
    pub focus: usize,
    pub sending: bool,
    pub result: Option<Result<String, String>>,
}

/// Opens the form, with the topic of the view it was opened from.
pub fn open(state: &mut State) {
    if state.read_only() {
        state.error("read-only mode: producing is disabled");
        return;
    }
    let context_topic = match state.view() {
        View::Topic => Some(state.topic.name.clone()),
        View::Messages => Some(state.messages.topic.clone()),
        View::Topics => state.topics.selected().map(str::to_owned),
        _ => None,
    };
    if let Some(topic) = context_topic
        && state.produce.fields[FIELD_TOPIC].text().is_empty()
    {
        state.produce.fields[FIELD_TOPIC].set(topic);
    }
    state.produce.result = None;
    state.push_view(View::Produce);
}

pub fn on_produced(state: &mut State, result: Result<Produced, String>) {
    state.produce.sending = false;
    state.produce.result = Some(result.map(|p| {
        format!(
            "written to {}/{} at offset {}",
            p.topic, p.partition, p.offset
        )
    }));
}

pub fn on_action(state: &mut State, action: Action) -> Vec<Command> {
    match action {
        Action::Quit => return vec![Command::Quit],
        Action::Back => return go_back(state),
        _ => {}
    }
    let form = &mut state.produce;
    let focus = form.focus;
    let multiline = matches!(focus, FIELD_VALUE | FIELD_HEADERS);
    let field = &mut form.fields[focus];
    match action {
        Action::NextPane => form.focus = (focus + 1) % FIELD_NAMES.len(),
        Action::PrevPane => form.focus = (focus + FIELD_NAMES.len() - 1) % FIELD_NAMES.len(),
        Action::Insert(c) => field.insert(c),
        Action::Newline if multiline => field.insert('\n'),
        Action::Newline => form.focus = (focus + 1) % FIELD_NAMES.len(),
        Action::Backspace => field.backspace(),
        Action::ClearToLineStart => field.clear_to_line_start(),
        Action::Delete => field.delete(),
        Action::Left => field.left(),
        Action::Right => field.right(),
        Action::Home => field.home(),
        Action::End => field.end(),
        Action::Up => field.up(),
        Action::Down => field.down(),
        Action::KeepFormatting => {
            form.keep_formatting = !form.keep_formatting;
            form.result = Some(Ok(if form.keep_formatting {
                "JSON values are sent as typed".into()
            } else {
                "JSON values are sent compact (one line)".into()
            }));
        }
        Action::FormatJson => {
            let value = form.fields[FIELD_VALUE].text().to_owned();
            match serde_json::from_str::<serde_json::Value>(&value) {
                Ok(v) => {
                    let pretty = serde_json::to_string_pretty(&v).unwrap_or(value);
                    form.fields[FIELD_VALUE].set(pretty);
                    form.result = Some(Ok("value is valid JSON".into()));
                }
                Err(e) => form.result = Some(Err(format!("value is not valid JSON: {e}"))),
            }
        }
        Action::Submit => {
            if form.sending {
                return Vec::new();
            }
            let no_registry = state.session.schema_registry.is_none();
            let form = &mut state.produce;
            match build_request(form) {
                Ok(request) if request.value_schema.is_some() && no_registry => {
                    form.result = Some(Err(
                        "a value schema needs a schema registry (--schema-registry URL, or schema_registry in the profile)".into(),
                    ));
                }
                Ok(request) => {
                    form.sending = true;
                    form.result = None;
                    return vec![Command::Produce(request)];
                }
                Err(e) => form.result = Some(Err(e)),
            }
        }
        _ => {}
    }
    Vec::new()
}

/// Checks the form and turns it into a request; the input stays as typed either way.
pub fn build_request(form: &ProduceForm) -> Result<ProduceRequest, String> {
    let topic = form.fields[FIELD_TOPIC].text().trim().to_owned();
    validate_topic_name(&topic).map_err(|e| e.to_string())?;
    let partition = match form.fields[FIELD_PARTITION].text().trim() {
        "" | "auto" => None,
        p => Some(p.parse::<i32>().ok().filter(|p| *p >= 0).ok_or_else(|| {
            format!("partition {p:?} is not a number (leave empty for automatic)")
        })?),
    };
    let key = Some(form.fields[FIELD_KEY].text())
        .filter(|k| !k.is_empty())
        .map(|k| k.as_bytes().to_vec());
    let headers = form.fields[FIELD_HEADERS]
        .text()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(Header::parse)
        .collect::<Result<Vec<_>, _>>()?;
    let value_schema = match form.fields[FIELD_SCHEMA].text().trim() {
        "" => None,
        text => Some(text.parse::<SchemaChoice>()?),
    };
    let typed = form.fields[FIELD_VALUE].text();
    // Formatted JSON (Ctrl+F) is for reading; what goes to the topic is one line, unless asked.
    let value = if !form.keep_formatting
        && typed.contains('\n')
        && serde_json::from_str::<serde::de::IgnoredAny>(typed).is_ok()
    {
        crate::decode::json::compact(typed)
    } else {
        typed.to_owned()
    };
    Ok(ProduceRequest {
        topic,
        partition,
        key,
        value: value.into_bytes(),
        headers,
        value_schema,
    })
}
