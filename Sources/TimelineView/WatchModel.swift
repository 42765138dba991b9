import KernelSim

/// What the viewer shows: a timeline plus the words around it.
public struct WatchModel: Sendable {
  public var timeline: Timeline
  /// "DEADLOCK", "no deadlock", "trace".
  public var verdict: String
  public var bounds: String
  /// Where the timeline came from ("first deadlock's witness", "default run ...").
  public var source: String

  public init(timeline: Timeline, verdict: String, bounds: String, source: String) {
    self.timeline = timeline
    self.verdict = verdict
    self.bounds = bounds
    self.source = source
  }
}
