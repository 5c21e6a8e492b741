//! The dashboard's runtime: owns the terminal, turns key presses into actions and job results
//! into events, runs the update step, carries out its commands through the job registry, and
//! redraws on change at a capped frame rate.

use std::io::{BufWriter, Stdout, Write};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use base64::Engine;
use crossterm::event::{Event as TermEvent, EventStream, MouseEventKind};
use futures::StreamExt;
use ratatui::backend::CrosstermBackend;
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use super::action::Action;
use super::event::{Command, Event, MlTask, SensorTask, TaskStatus};
use super::jobs::demos::{self, SensorPipeline};
use super::jobs::poller::{self, ClientCell};
use super::jobs::schemas::{self, RegistryCell};
use super::jobs::{JobKind, Jobs, requests};
use super::keymap;
use super::state::{Msg, SessionIdentity, State, update};
use super::views::clusters::ClusterEntry;
use super::views::sensors::SENSOR_RATE;
use crate::config::{ClusterConfig, Resolved};
use crate::demo::DemoNames;
use crate::demo::sensors::simulator::SimControl;
use crate::kafka::partitioner::Partitioner;
use crate::ui;
use crate::ui::theme::Theme;

pub struct DashboardOptions {
    /// The cluster to open first, and the profiles `:ctx` switches between.
    pub resolved: Resolved,
    pub timeout: Duration,
    pub mouse: bool,
    /// Start the demo pipelines once connected.
    pub demo: bool,
    pub demo_names: DemoNames,
    /// How many sensor processors the demo runs (members of one group).
    pub sensor_processors: usize,
}

/// At most this many frames a second; nothing is drawn when nothing changed.
const FRAME: Duration = Duration::from_millis(33);

pub async fn run(options: DashboardOptions) -> Result<()> {
    let mut terminal = match open_terminal() {
        Ok(terminal) => terminal,
        Err(e) => {
            ratatui::restore();
            return Err(e.into());
        }
    };
    if options.mouse {
        let _ = crossterm::execute!(std::io::stdout(), crossterm::event::EnableMouseCapture);
    }
    let mouse = options.mouse;
    let result = event_loop(&mut terminal, options).await;
    if mouse {
        let _ = crossterm::execute!(std::io::stdout(), crossterm::event::DisableMouseCapture);
    }
    ratatui::restore();
    result
}

/// The dashboard's terminal: frames are written through a buffer and reach the terminal in a
/// few large writes when drawn, not a locked, newline-searched write to stdout for each cell's
/// escape codes (a followed firehose redraws most of the screen twenty times a second).
type Screen = Terminal<CrosstermBackend<BufWriter<Stdout>>>;

/// Bytes of a frame buffered before they are written: most frames fit; a larger one goes in parts.
const FRAME_BUFFER: usize = 64 * 1024;

fn open_terminal() -> std::io::Result<Screen> {
    // ratatui's own set-up: raw mode, the alternate screen, and a panic hook that restores the
    // terminal before the report prints; its terminal then gives way to the buffered one.
    let area = ratatui::try_init()?.size()?;
    // A fixed viewport the size of the screen, resized on the terminal's resize events: a
    // full-screen one asks the terminal its size before every frame (opening /dev/tty each time).
    Terminal::with_options(
        CrosstermBackend::new(BufWriter::with_capacity(FRAME_BUFFER, std::io::stdout())),
        TerminalOptions {
            viewport: Viewport::Fixed(Rect::new(0, 0, area.width, area.height)),
        },
    )
}

/// What carries out the update step's commands.
struct Runtime {
    jobs: Jobs,
    /// Events of the current cluster's jobs; replaced with the jobs on a switch.
    events: mpsc::Receiver<Event>,
    client: ClientCell,
    resolved: Resolved,
    timeout: Duration,
    names: DemoNames,
    sensors: SensorPipeline,
    partitioner: Arc<Partitioner>,
    registry: RegistryCell,
    connect: super::jobs::connect::ConnectCell,
    /// The group the user has open, for the poller (a channel per session).
    open_group: watch::Sender<Option<String>>,
}

async fn event_loop(terminal: &mut Screen, options: DashboardOptions) -> Result<()> {
    let started = Instant::now();
    let (tx, events) = mpsc::channel::<Event>(256);
    let mut runtime = Runtime {
        jobs: Jobs::new(tx),
        events,
        client: ClientCell::default(),
        resolved: options.resolved,
        timeout: options.timeout,
        names: options.demo_names.clone(),
        sensors: SensorPipeline::new(SENSOR_RATE, options.sensor_processors),
        partitioner: Arc::default(),
        registry: RegistryCell::default(),
        connect: Default::default(),
        open_group: watch::Sender::new(None),
    };
    let first = runtime.resolved.cluster.clone();
    let identity = runtime.open_session(first);
    let theme = Theme::from_env();
    let mut state = State::for_cluster(identity);
    state.clusters.entries = runtime.cluster_entries();
    state.clusters.config_path = runtime
        .resolved
        .file
        .path
        .clone()
        .or_else(crate::config::ConfigFile::default_path)
        .map(|p| p.display().to_string());
    state.start_demos_on_connect = options.demo && !state.read_only();
    let size = terminal.size()?;
    update(&mut state, Msg::Resize(size.width, size.height));

    let mut keys = EventStream::new();
    let mut dirty = true;
    let mut last_draw = Instant::now() - FRAME;
    let (mut said_first_frame, mut said_topics_complete) = (false, false);
    let mut frames = 0u64;
    let outcome = loop {
        if dirty && last_draw.elapsed() >= FRAME {
            // The log panel's events, moved here rather than by a thread of tui-logger's
            // (logging::init_dashboard); cheap when none arrived.
            tui_logger::move_events();
            let mut drawn = ui::Drawn::default();
            terminal.draw(|frame| drawn = ui::render(frame, &state, &theme))?;
            frames += 1;
            // The start-up figures of scripts/bench, said once each.
            if !said_first_frame {
                said_first_frame = true;
                tracing::info!(
                    "first frame drawn {:.1} ms after start",
                    crate::started().elapsed().as_secs_f64() * 1000.0
                );
            }
            if !said_topics_complete
                && let Some(cluster) = &state.session.cluster
                && !cluster.topics.is_empty()
                && cluster
                    .topics
                    .iter()
                    .all(|t| state.session.stats.topics.contains_key(&t.name))
            {
                said_topics_complete = true;
                tracing::info!(
                    "topics view complete ({} topics with message counts) {:.1} ms after start",
                    cluster.topics.len(),
                    crate::started().elapsed().as_secs_f64() * 1000.0
                );
            }
            if drawn.list_rows != state.list_rows
                && let Some(rows) = drawn.list_rows
            {
                update(&mut state, Msg::ListRows(rows));
            }
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
                    terminal.resize(Rect::new(0, 0, w, h))?;
                    update(&mut state, Msg::Resize(w, h));
                    dirty = true;
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => break Err(e.into()),
                None => break Ok(()),
            },
            Some(event) = runtime.events.recv() => {
                // A sample of every partition, or a poll of every group: each builds and drops
                // megabytes on a large cluster, freed under what lives on.
                let is_sample = |e: &Event| matches!(e, Event::Watermarks { .. } | Event::Groups { .. });
                let mut sampled = is_sample(&event);
                commands = update(&mut state, Msg::Event(event));
                // Drain what else arrived, so a burst costs one frame (oha's habit).
                while let Ok(event) = runtime.events.try_recv() {
                    sampled |= is_sample(&event);
                    commands.extend(update(&mut state, Msg::Event(event)));
                }
                if sampled {
                    crate::give_back_freed_heap();
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
            if let Some(msg) = runtime.carry_out(command) {
                // A switch's new session: its own commands are none (a fresh state asks nothing).
                update(&mut state, msg);
                dirty = true;
            }
        }
    };
    runtime.jobs.stop_all();
    // Frames a second under load, for `scripts/bench firehose`.
    tracing::info!(
        "drew {frames} frames in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    if let Some(client) = runtime.client.get() {
        // The request budget, for `scripts/bench` (requests on kview's own connections).
        tracing::info!(
            "sent {} requests in {:.1} s",
            client.requests_sent(),
            started.elapsed().as_secs_f64()
        );
    }
    outcome
}

impl Runtime {
    /// Leaves the open cluster, if any — every job stops, and events still on their way go
    /// with the old channel — then connects to `cluster` in a new poller.
    fn open_session(&mut self, cluster: ClusterConfig) -> SessionIdentity {
        self.jobs.stop_all();
        let (tx, events) = mpsc::channel::<Event>(256);
        self.jobs = Jobs::new(tx.clone());
        self.events = events;
        self.client = ClientCell::default();
        self.sensors = SensorPipeline::new(SENSOR_RATE, self.sensors.processors);
        self.partitioner = Arc::default();
        let (open_group, open) = watch::channel(None);
        self.open_group = open_group;
        let read_only = self.resolved.read_only_for(&cluster);
        let identity = SessionIdentity {
            name: cluster.name.clone(),
            brokers: cluster.brokers.join(","),
            security: cluster.describe(),
            read_only,
            schema_registry: cluster.schema_registry.as_ref().map(|r| r.url.clone()),
            masking: self.resolved.masking_for(&cluster),
            connect: cluster.connect.iter().map(|c| c.name.clone()).collect(),
        };
        self.connect = super::jobs::connect::ConnectCell::new(cluster.connect.clone());
        self.registry = RegistryCell::new(cluster.schema_registry.clone());
        self.jobs.start(
            JobKind::Poller,
            poller::connect_and_poll(
                cluster,
                self.timeout,
                read_only,
                tx,
                self.client.clone(),
                self.names.clone(),
                open,
            ),
        );
        identity
    }

    /// The config file's profiles for the `:ctx` list.
    fn cluster_entries(&self) -> Vec<ClusterEntry> {
        self.resolved
            .file
            .clusters
            .iter()
            .map(|(name, c)| ClusterEntry {
                name: name.clone(),
                brokers: c.brokers.join(","),
                security: c.describe(),
                read_only: self.resolved.read_only_for(c),
                answer: None,
            })
            .collect()
    }

    /// Answers a request at once with the event `not_connected` makes, when there is no client.
    fn with_client<F>(
        &mut self,
        not_connected: impl FnOnce(String) -> Event + Send + 'static,
        request: impl FnOnce(Arc<crate::kafka::KafkaClient>) -> F,
    ) where
        F: Future<Output = Event> + Send + 'static,
    {
        match self.client.get().cloned() {
            Some(client) => self.jobs.request(request(client)),
            None => self
                .jobs
                .request(async move { not_connected("not connected yet".into()) }),
        }
    }

    /// Carries out one command; a cluster switch returns the new session for the update step.
    fn carry_out(&mut self, command: Command) -> Option<Msg> {
        let tx = self.jobs.events();
        match command {
            Command::Quit => {}
            Command::WatchGroup(group) => {
                self.open_group.send_replace(group);
            }
            Command::ProbeClusters => {
                for (name, cluster) in self.resolved.file.clusters.clone() {
                    let (timeout, read_only) =
                        (self.timeout, self.resolved.read_only_for(&cluster));
                    self.jobs.request(async move {
                        let answer = cluster.probe(timeout, read_only).await;
                        Event::ClusterAnswer { name, answer }
                    });
                }
            }
            Command::SwitchCluster(name) => match self.resolved.file.cluster(&name) {
                Ok(cluster) => {
                    let cluster = cluster.clone();
                    tracing::info!("switching to cluster {name}");
                    return Some(Msg::NewSession(self.open_session(cluster)));
                }
                Err(e) => tracing::warn!("{e}"),
            },
            Command::LoadConfigs(topic) => {
                let t = topic.clone();
                self.with_client(
                    move |e| Event::Configs {
                        topic: t,
                        result: Err(e),
                    },
                    |c| requests::load_configs(c, topic),
                )
            }
            Command::LoadAccess(kind, name) => {
                let (failed_name, asked) = (name.clone(), name);
                self.with_client(
                    move |e| Event::Access {
                        kind,
                        name: failed_name,
                        result: Err(e),
                    },
                    move |c| requests::load_access(c, kind, asked),
                )
            }
            Command::LoadReassignments => self.with_client(
                |e| Event::Reassignments(Err(e)),
                requests::load_reassignments,
            ),
            Command::LoadClusterHealth => self.with_client(
                |e| {
                    Event::ClusterHealth(crate::app::views::operate::ClusterHealth {
                        quorum: Err(e),
                        disks: Default::default(),
                    })
                },
                requests::load_cluster_health,
            ),
            Command::LoadAcls => self.with_client(|e| Event::Acls(Err(e)), requests::load_acls),
            Command::LoadTransactions => {
                self.with_client(|e| Event::Transactions(Err(e)), requests::load_transactions)
            }
            Command::LoadTopicTransactions(topic) => {
                let t = topic.clone();
                self.with_client(
                    move |e| Event::TopicTransactions {
                        topic: t,
                        result: Err(e),
                    },
                    |c| requests::load_topic_transactions(c, topic),
                )
            }
            Command::Browse(request) => match self.client.get().cloned() {
                Some(c) if request.search.is_some() => self.jobs.start(
                    JobKind::Browse,
                    requests::search(c, request, self.registry.clone(), tx),
                ),
                Some(c) => self
                    .jobs
                    .start(JobKind::Browse, requests::browse(c, request, tx)),
                None => {
                    self.jobs.stop(JobKind::Browse);
                    let browse_id = request.id;
                    self.jobs.request(async move {
                        Event::BrowseFailed {
                            browse_id,
                            error: "not connected yet".into(),
                        }
                    })
                }
            },
            Command::StopBrowse => self.jobs.stop(JobKind::Browse),
            Command::LoadBrokerConfigs(broker) => self.with_client(
                move |e| Event::BrokerConfigs {
                    broker,
                    result: Err(e),
                },
                move |c| async move {
                    Event::BrokerConfigs {
                        broker,
                        result: c.broker_configs(broker).await.map_err(|e| e.to_string()),
                    }
                },
            ),
            Command::Admin(change) => {
                let c = change.clone();
                self.with_client(
                    move |e| Event::Admin {
                        change: c,
                        result: Err(e),
                        metadata: None,
                    },
                    |client| requests::admin(client, change),
                )
            }
            Command::LoadConnectors => self
                .jobs
                .request(super::jobs::connect::load_connectors(self.connect.clone())),
            Command::Connect { connector, action } => self.jobs.request(super::jobs::connect::act(
                self.connect.clone(),
                connector,
                action,
            )),
            Command::LoadSubjects => self
                .jobs
                .request(schemas::load_subjects(self.registry.clone())),
            Command::LoadSubject(name) => self
                .jobs
                .request(schemas::load_subject(self.registry.clone(), name)),
            Command::LoadSchema(id) => self
                .jobs
                .request(schemas::load_schema(self.registry.clone(), id)),
            Command::Produce(request) => {
                let partitioner = self.partitioner.clone();
                let registry = self.registry.clone();
                self.with_client(
                    |e| Event::Produced(Err(e)),
                    |c| requests::produce(c, request, partitioner, registry),
                )
            }
            Command::SendRecords { topic, records } => {
                let partitioner = self.partitioner.clone();
                self.with_client(
                    |e| Event::Sent(Err(e)),
                    |c| requests::send_records(c, topic, records, partitioner),
                )
            }
            Command::Copy(bytes) => copy_to_clipboard(&bytes),
            Command::StartMl { producer, trainer } => {
                let Some(c) = self.client.get().cloned() else {
                    for task in [MlTask::Producer, MlTask::Trainer] {
                        self.jobs.request(async move {
                            Event::MlTask {
                                task,
                                status: TaskStatus::Failed("not connected yet".into()),
                            }
                        });
                    }
                    return None;
                };
                if trainer {
                    self.jobs.start_if_idle(
                        JobKind::MlTrainer,
                        demos::ml_trainer(c.clone(), self.names.clone(), tx.clone()),
                    );
                }
                if producer {
                    self.jobs.start_if_idle(
                        JobKind::MlProducer,
                        demos::ml_producer(c, self.names.clone(), tx),
                    );
                }
            }
            Command::StopMl { producer, trainer } => {
                if producer {
                    self.jobs.stop(JobKind::MlProducer);
                }
                if trainer {
                    self.jobs.stop(JobKind::MlTrainer);
                }
            }
            Command::StartSensors {
                simulator,
                processor,
            } => self.start_sensors(simulator, processor),
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
            Command::PlanReset {
                group,
                target,
                only,
            } => {
                let g = group.clone();
                self.with_client(
                    move |e| Event::ResetPlanned {
                        group: g,
                        result: Err(e),
                    },
                    |c| requests::plan_reset(c, group, target, only),
                )
            }
            Command::ApplyReset { group, plans } => {
                let g = group.clone();
                self.with_client(
                    move |e| Event::ResetApplied {
                        group: g,
                        result: Err(e),
                    },
                    |c| requests::apply_reset(c, group, plans),
                )
            }
            Command::WriteFile { path, lines } => {
                self.jobs.request(requests::write_file(path, lines))
            }
        }
        None
    }

    fn start_sensors(&mut self, simulator: bool, processor: bool) {
        let tx = self.jobs.events();
        let Some(c) = self.client.get().cloned() else {
            for task in [SensorTask::Simulator, SensorTask::Processor] {
                self.jobs.request(async move {
                    Event::SensorTask {
                        task,
                        status: TaskStatus::Failed("not connected yet".into()),
                    }
                });
            }
            return;
        };
        let c_watch = c.clone();
        if simulator && !self.jobs.is_running(JobKind::SensorSimulator) {
            // A fresh control: a stop from an earlier run must not stop this one.
            self.sensors.control = Arc::new(SimControl::new(self.sensors.control.rate()));
            self.jobs.start(
                JobKind::SensorSimulator,
                demos::sensor_simulator(
                    c.clone(),
                    self.names.clone(),
                    self.sensors.control.clone(),
                    self.sensors.sim_counters.clone(),
                    tx.clone(),
                ),
            );
        }
        if processor && !self.jobs.is_running(JobKind::SensorProcessor) {
            self.sensors.drain = Arc::default();
            self.jobs.start(
                JobKind::SensorProcessor,
                demos::sensor_processor(
                    c,
                    self.names.clone(),
                    self.sensors.processors,
                    self.sensors.proc_counters.clone(),
                    self.sensors.drain.clone(),
                    tx.clone(),
                ),
            );
        }
        self.jobs.start_if_idle(
            JobKind::SensorCounts,
            demos::report_sensor_counts(
                self.sensors.sim_counters.clone(),
                self.sensors.proc_counters.clone(),
                tx.clone(),
            ),
        );
        self.jobs.start_if_idle(
            JobKind::ProcessorGroup,
            demos::watch_processor_group(c_watch, self.names.clone(), tx),
        );
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
