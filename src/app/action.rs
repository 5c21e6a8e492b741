//! What the user asked for, independent of which key asked.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Quit,
    Back,
    Up,
    Down,
    Top,
    Bottom,
    PageUp,
    PageDown,
    Open,
    NextPane,
    PrevPane,
    OpenCommand,
    OpenFilter,
    ToggleHelp,
    ToggleLogs,
    ToggleInternal,
    CycleSort,
    ReverseSort,
    ShowTopics,
    ShowGroups,
    ShowMessages,
    OpenProduce,
    JumpToOffset,
    /// Scan the whole topic for records that match.
    SearchTopic,
    FromBeginning,
    Follow,
    /// Committed records only, or every record (read uncommitted).
    ToggleIsolation,
    Copy,
    /// Scroll the sensors' alert feed.
    OlderAlerts,
    NewerAlerts,
    /// Show times in UTC, or back in the local zone.
    ToggleUtc,
    WriteFile,
    /// Mark the selected record (or unmark it) to send or save.
    ToggleMark,
    /// Mark the records from the last one marked to the selection.
    MarkRange,
    ClearMarks,
    /// Send the marked records to a topic.
    SendMarked,
    ResetOffsets,
    /// Reset only the selected partition of a group.
    ResetPartition,
    NewTopic,
    /// Delete the selected topic or group (after its name is typed).
    DeleteSelected,
    AddPartitions,
    EditConfig,
    /// Leaders back on their preferred replicas (after the topic's name is typed).
    ElectLeaders,
    /// Kafka Connect: actions on the selected or opened connector.
    ConnectorPause,
    ConnectorResume,
    ConnectorStop,
    ConnectorRestart,
    /// A connector's whole failure traces, or their first lines.
    ToggleTrace,
    /// The group view: the sink connector the group belongs to.
    OpenConnector,
    /// Config values as stored instead of in units.
    ToggleRaw,
    ShowMl,
    MlStart,
    MlStop,
    MlTrainer,
    ShowSensors,
    SensorsStart,
    SensorsStop,
    RateUp,
    RateDown,
    Inject(crate::demo::sensors::signal::Anomaly),
    /// `:schemas`: the version before or after, and the change from the one before.
    PrevVersion,
    NextVersion,
    ToggleDiff,
    Submit,
    /// Tab on the command line.
    Complete,
    FormatJson,
    /// The produce form sends a JSON value as typed instead of compact.
    KeepFormatting,
    Insert(char),
    Newline,
    Backspace,
    /// Delete from the start of the line to the cursor (Ctrl-U).
    ClearToLineStart,
    Delete,
    Left,
    Right,
    Home,
    End,
}

impl Action {
    /// Moving a selection: up, down, first, last, a page either way.
    pub fn is_navigation(self) -> bool {
        matches!(
            self,
            Action::Up
                | Action::Down
                | Action::Top
                | Action::Bottom
                | Action::PageUp
                | Action::PageDown
        )
    }
}
