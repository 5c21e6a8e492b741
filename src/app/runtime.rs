//! The dashboard's runtime: owns the terminal, turns key presses into actions and task results
//! into events, runs the update step, and redraws on change at a capped frame rate.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use base64::Engine;
use crossterm::event::{Event as TermEvent, EventStream, MouseEventKind};
use futures::StreamExt;
use ratatui::DefaultTerminal;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::action::Action;
use super::event::TaskStatus;
use super::event::{Command, Event};
use super::keymap;
use super::state::SENSOR_RATE;
use super::state::{Msg, State, update};
use super::tasks::{self, ClientCell};
use crate::demo::sensors::simulator::SimControl;
use crate::kafka::ConnSettings;
use crate::kafka::partitioner::Partitioner;
use crate::ui;
use crate::ui::theme::Theme;

pub struct DashboardOptions {
    pub brokers: Vec<String>,
    pub settings: ConnSettings,
    pub read_only: bool,
    pub mouse: bool,
    /// Start the demo pipelines once connected.
    pub demo: bool,
}

/// At most this many frames a second; nothing is drawn when nothing changed.
const FRAME: Duration = Duration::from_millis(33);

pub async fn run(options: DashboardOptions) -> Result<()> {
    // ratatui::init installs a panic hook that restores the terminal before the report prints.
    let mut terminal = ratatui::init();
    if options.mouse {
        let _ = crossterm::execute!(std::io::stdout(), crossterm::event::EnableMouseCapture);
    }
    let result = event_loop(&mut terminal, &options).await;
    if options.mouse {
        let _ = crossterm::execute!(std::io::stdout(), crossterm::event::DisableMouseCapture);
    }
    ratatui::restore();
    result
}

struct Runtime {
    tx: mpsc::Sender<Event>,
    client: ClientCell,
    browse: Option<JoinHandle<()>>,
    ml_producer: Option<JoinHandle<()>>,
    ml_trainer: Option<JoinHandle<()>>,
    sensors: tasks::SensorPipeline,
    simulator: Option<JoinHandle<()>>,
    processor: Option<JoinHandle<()>>,
    sensor_counts: Option<JoinHandle<()>>,
    partitioner: Arc<Partitioner>,
}

async fn event_loop(terminal: &mut DefaultTerminal, options: &DashboardOptions) -> Result<()> {
    let (tx, mut rx) = mpsc::channel::<Event>(256);
    let client: ClientCell = Arc::default();
    let poller = tokio::spawn(tasks::poll_cluster(
        options.brokers.clone(),
        options.settings.clone(),
        tx.clone(),
        client.clone(),
    ));
    let mut runtime = Runtime {
        tx,
        client,
        browse: None,
        ml_producer: None,
        ml_trainer: None,
        sensors: tasks::SensorPipeline::new(SENSOR_RATE),
        simulator: None,
        processor: None,
        sensor_counts: None,
        partitioner: Arc::default(),
    };
    let mut state = State::new(
        options.brokers.join(","),
        options.read_only,
        Theme::from_env(),
    );
    state.start_demos_on_connect = options.demo && !options.read_only;
    let size = terminal.size()?;
    update(&mut state, Msg::Resize(size.width, size.height));

    let mut keys = EventStream::new();
    let mut dirty = true;
    let mut last_draw = Instant::now() - FRAME;
    let outcome = loop {
        if dirty && last_draw.elapsed() >= FRAME {
            if state.show_logs {
                tui_logger::move_events();
            }
            terminal.draw(|frame| ui::render(frame, &state))?;
            dirty = false;
            last_draw = Instant::now();
        }
        let wait = if dirty {
            FRAME.saturating_sub(last_draw.elapsed())
        } else {
            Duration::from_secs(1)
        };
        let mut commands = Vec::new();
        tokio::select! {
            input = keys.next() => match input {
                Some(Ok(TermEvent::Key(key))) => {
                    if let Some(action) = keymap::action_for(state.mode(), key) {
                        commands = update(&mut state, Msg::Action(action));
                        dirty = true;
                    }
                }
                Some(Ok(TermEvent::Mouse(mouse))) => {
                    let action = match mouse.kind {
                        MouseEventKind::ScrollDown => Some(Action::Down),
                        MouseEventKind::ScrollUp => Some(Action::Up),
                        _ => None,
                    };
                    if let Some(action) = action {
                        commands = update(&mut state, Msg::Action(action));
                        dirty = true;
                    }
                }
                Some(Ok(TermEvent::Resize(w, h))) => {
                    update(&mut state, Msg::Resize(w, h));
                    dirty = true;
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => break Err(e.into()),
                None => break Ok(()),
            },
            Some(event) = rx.recv() => {
                commands = update(&mut state, Msg::Event(event));
                // Drain what else arrived, so a burst costs one frame (oha's habit).
                while let Ok(event) = rx.try_recv() {
                    commands.extend(update(&mut state, Msg::Event(event)));
                }
                dirty = true;
            }
            _ = tokio::time::sleep(wait) => {
                // The log panel has no events of its own: refresh it once a second.
                dirty |= state.show_logs;
            }
        }
        if commands.contains(&Command::Quit) {
            break Ok(());
        }
        for command in commands {
            runtime.carry_out(command);
        }
    };
    poller.abort();
    for task in [
        runtime.browse.take(),
        runtime.ml_producer.take(),
        runtime.ml_trainer.take(),
        runtime.simulator.take(),
        runtime.processor.take(),
        runtime.sensor_counts.take(),
    ]
    .into_iter()
    .flatten()
    {
        task.abort();
    }
    outcome
}

impl Runtime {
    /// Sends an event from a task, ignoring a closed channel (the dashboard is exiting).
    fn spawn_event(&self, future: impl Future<Output = Event> + Send + 'static) {
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let _ = tx.send(future.await).await;
        });
    }

    fn carry_out(&mut self, command: Command) {
        let client = self.client.get().cloned();
        match command {
            Command::Quit => {}
            Command::LoadConfigs(topic) => match client {
                Some(c) => self.spawn_event(tasks::load_configs(c, topic)),
                None => self.spawn_event(async move {
                    Event::Configs {
                        topic,
                        result: Err("not connected yet".into()),
                    }
                }),
            },
            Command::Browse(request) => {
                if let Some(old) = self.browse.take() {
                    old.abort();
                }
                match client {
                    Some(c) => {
                        self.browse = Some(tokio::spawn(tasks::browse(c, request, self.tx.clone())))
                    }
                    None => {
                        let id = request.id;
                        self.spawn_event(async move {
                            Event::BrowseFailed {
                                browse_id: id,
                                error: "not connected yet".into(),
                            }
                        })
                    }
                }
            }
            Command::StopBrowse => {
                if let Some(old) = self.browse.take() {
                    old.abort();
                }
            }
            Command::Produce(request) => match client {
                Some(c) => self.spawn_event(tasks::produce(c, request, self.partitioner.clone())),
                None => {
                    self.spawn_event(async { Event::Produced(Err("not connected yet".into())) })
                }
            },
            Command::Copy(bytes) => copy_to_clipboard(&bytes),
            Command::StartMl { producer, trainer } => {
                let Some(c) = client else {
                    for producer in [true, false] {
                        self.spawn_event(async move {
                            Event::MlTask {
                                producer,
                                status: TaskStatus::Failed("not connected yet".into()),
                            }
                        });
                    }
                    return;
                };
                if trainer && self.ml_trainer.as_ref().is_none_or(|t| t.is_finished()) {
                    self.ml_trainer =
                        Some(tokio::spawn(tasks::ml_trainer(c.clone(), self.tx.clone())));
                }
                if producer && self.ml_producer.as_ref().is_none_or(|t| t.is_finished()) {
                    self.ml_producer = Some(tokio::spawn(tasks::ml_producer(c, self.tx.clone())));
                }
            }
            Command::StartSensors {
                simulator,
                processor,
            } => {
                let Some(c) = client else {
                    for simulator in [true, false] {
                        self.spawn_event(async move {
                            Event::SensorTask {
                                simulator,
                                status: TaskStatus::Failed("not connected yet".into()),
                            }
                        });
                    }
                    return;
                };
                if simulator && self.simulator.as_ref().is_none_or(|t| t.is_finished()) {
                    // A fresh control: a stop from an earlier run must not stop this one.
                    self.sensors.control = Arc::new(SimControl::new(self.sensors.control.rate()));
                    self.simulator = Some(tokio::spawn(tasks::sensor_simulator(
                        c.clone(),
                        self.sensors.control.clone(),
                        self.sensors.sim_counters.clone(),
                        self.tx.clone(),
                    )));
                }
                if processor && self.processor.as_ref().is_none_or(|t| t.is_finished()) {
                    self.sensors.drain = Arc::default();
                    self.processor = Some(tokio::spawn(tasks::sensor_processor(
                        c,
                        self.sensors.proc_counters.clone(),
                        self.sensors.drain.clone(),
                        self.tx.clone(),
                    )));
                }
                if self.sensor_counts.is_none() {
                    self.sensor_counts = Some(tokio::spawn(tasks::report_sensor_counts(
                        self.sensors.sim_counters.clone(),
                        self.sensors.proc_counters.clone(),
                        self.tx.clone(),
                    )));
                }
            }
            Command::StopSensors => {
                // The simulator stops after its current send; the processor drains what was
                // acknowledged and then stops, so the counts close (nothing in flight).
                self.sensors.control.stop();
                self.sensors
                    .drain
                    .store(true, std::sync::atomic::Ordering::Relaxed);
            }
            Command::SetSensorRate(rate) => self.sensors.control.set_rate(rate),
            Command::InjectAnomaly { sensor, anomaly } => {
                self.sensors.control.inject(sensor, anomaly)
            }
            Command::StopMl { producer, trainer } => {
                if producer && let Some(t) = self.ml_producer.take() {
                    t.abort();
                }
                if trainer && let Some(t) = self.ml_trainer.take() {
                    t.abort();
                }
            }
            Command::PlanReset { group, target } => match client {
                Some(c) => self.spawn_event(tasks::plan_reset(c, group, target)),
                None => self.spawn_event(async move {
                    Event::ResetPlanned {
                        group,
                        result: Err("not connected yet".into()),
                    }
                }),
            },
            Command::ApplyReset { group, plans } => match client {
                Some(c) => self.spawn_event(tasks::apply_reset(c, group, plans)),
                None => self.spawn_event(async move {
                    Event::ResetApplied {
                        group,
                        result: Err("not connected yet".into()),
                    }
                }),
            },
            Command::WriteFile { path, lines } => {
                self.spawn_event(async move {
                    let result = tokio::task::spawn_blocking({
                        let path = path.clone();
                        move || write_lines(&path, &lines)
                    })
                    .await
                    .map_err(|e| e.to_string())
                    .and_then(|r| r);
                    Event::Wrote { path, result }
                });
            }
        }
    }
}

/// OSC 52: the terminal (even at the far end of SSH, and tmux with set-clipboard on) puts the
/// bytes on the clipboard.
fn copy_to_clipboard(bytes: &[u8]) {
    let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
    let mut out = std::io::stdout();
    let _ = write!(out, "\x1b]52;c;{encoded}\x07");
    let _ = out.flush();
}

fn write_lines(path: &Path, lines: &[String]) -> Result<usize, String> {
    let write = |path: &Path| -> std::io::Result<()> {
        let mut file = std::io::BufWriter::new(std::fs::File::create(path)?);
        for line in lines {
            file.write_all(line.as_bytes())?;
            file.write_all(b"\n")?;
        }
        file.flush()
    };
    write(path)
        .map(|()| lines.len())
        .map_err(|e| crate::kafka::conn::io_reason(&e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_one_line_per_record() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.jsonl");
        let lines = vec!["{\"a\":1}".to_owned(), "{\"b\":2}".to_owned()];
        assert_eq!(write_lines(&path, &lines), Ok(2));
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "{\"a\":1}\n{\"b\":2}\n"
        );
        let err = write_lines(&dir.path().join("missing/dir/x"), &lines).unwrap_err();
        assert!(err.contains("no such file"), "{err}");
    }
}
