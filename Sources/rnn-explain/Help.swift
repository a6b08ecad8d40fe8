import RNNDerivations

/// The help texts and usage lines, all derived from `Command` and its option table.
enum Help {
  static let version = "rnn-explain 0.1.0"

  /// The spellings that ask for help, before a command or anywhere after it.
  static let helpFlags = ["-h", "--help"]

  /// The flag that prints the version.
  static let versionFlag = "--version"

  /// The usage line of `command`, or of `rnn-explain` itself: required options bare,
  /// the others in brackets.
  static func usage(_ command: Command?) -> String {
    guard let command else { return "rnn-explain [COMMAND] [OPTIONS]" }
    var words = ["rnn-explain", command.rawValue]
    if let operands = command.operands { words.append(operands) }
    for option in command.options {
      words.append(option.isRequired ? option.synopsis : "[\(option.synopsis)]")
    }
    return words.joined(separator: " ")
  }

  /// The full help of `command`, or of `rnn-explain` itself: overview, usage, options and,
  /// at the top level, the commands and the exit status.
  static func text(_ command: Command?) -> String {
    var out = "OVERVIEW: \(overview(command))\n\nUSAGE: \(usage(command))\n"
    let options: [(synopsis: String, help: String)] =
      if let command {
        command.options.map { ($0.synopsis, $0.help) }
      } else {
        [
          (helpFlags.joined(separator: ", "), "Show this help."),
          (versionFlag, "Print the version."),
        ]
      }
    if !options.isEmpty {
      out += "\nOPTIONS:\n"
      for option in options { out += row(option.synopsis, option.help) }
    }
    if command == nil {
      out += "\nCOMMANDS:\n"
      for command in Command.allCases { out += row(command.rawValue, command.summary) }
      out += "\n  See 'rnn-explain help COMMAND' for a command's options.\n"
      out += "\nEXIT STATUS:\n"
      for (code, meaning) in ExitCode.meanings { out += row("\(code)", meaning) }
      out += "\n  A closed pipe on standard output (its reader went away) exits "
      out += "\(ExitCode.ioError) with no message.\n"
    }
    return out
  }

  /// What `command`, or `rnn-explain` itself, does: the OVERVIEW paragraph of its help.
  static func overview(_ command: Command?) -> String {
    switch command {
    case nil:
      """
      Hand-derived gradients of recurrent networks, each checked against independent
      oracles (dual numbers, a reverse-mode tape and finite differences) and printed step by
      step.

      With no command, runs every derivation once and prints a PASS/FAIL overview.
      """
    case .list: "List every derivation: id, title, source note."
    case .show:
      "Print one derivation step by step: values, hand-derived and oracle derivatives, errors."
    case .check:
      """
      Check derivations (all, or the IDs given) at \(Catalog.checkConfigs.count) sizes \
      and N seeds each; exit 1 if any check fails.
      """
    case .diagnose:
      """
      Sweep one finite-difference check's step over h = 1e-1 … 1e-12 (times the entry's
      scale): central and one-sided estimates, their errors as fractions of the gradient's
      largest entry, and why the check fails or passes: a wrong derivation, truncation/rounding
      (a poorly chosen step), a kink, or an ill-conditioned point. Exit 1 if the check fails.
      """
    case .grad:
      """
      Compute the loss and every gradient of a model and data you supply (JSON; '-' reads
      standard input). Models: rnn, rnn-concat, lstm, gru. With --compare, judge gradients
      you computed elsewhere against these instead: where they differ, which time steps
      explain it, and which known mistake reproduces them; exit 1 if any differs.

      Besides model, inputs, targets and params (README, "grad"), the input may give:
      a target of null (that step has no loss; many-to-one: only the last), sequence_length L
      (1 ≤ L ≤ T: the steps from L on copy the state through and carry no loss), truncate
      {"style": "tf" or "true", "steps": n} (tf: chunks of n steps, the gradient stopped
      between them; true: each error back n steps; the loss is unchanged), and for a
      reset-after gru the recurrent candidate bias b_hn (H numbers: PyTorch's bias_hh n part).
      --check and --compare differentiate what these define.
      Stacked layers (MultiRNNCell): instead of "model", give "layers", bottom first, each
      {"model": "rnn"|"lstm"|"gru", "params": {its own U, W, b / W_i, ...}} with its
      "variant" or "forget_bias"; "params" then holds V, b_y only. Every layer has H units;
      layer 2 on reads the h below it, so its input weights are H×H. "initial_state" is an
      array of one {"h": ..., "c": ...} per layer; gradients, initial_state_gradients and
      final_state come back grouped the same way; null targets, sequence_length and truncate
      apply to a stack as to one cell. --compare takes single cells only.
      """
    case .mistakes:
      """
      Run the catalogue of wrong derivations (or the ID given): plausible mistakes, each a
      real cell or output step with one thing changed, and show which oracles catch each and
      the parameters they name; exit 1 if any goes uncaught.
      """
    case .train:
      """
      Learn the echo task of R2RT's "Recurrent Neural Networks in Tensorflow I" (X_t a random
      bit; P(Y_t = 1) = 0.5 + 0.5 X_{t−3} − 0.25 X_{t−8}) with this project's hand-derived
      gradients: TensorFlow-style truncated BPTT over chunks of N steps, the state carried
      from chunk to chunk, batches of B rows, Adagrad. Prints the loss curve (a sparkline and
      the logged mean cross-entropies) against the three baselines computed from the task
      (nothing, X_{t−3}, both learned); --svg plots it. Progress goes to standard error: a
      status line on a terminal, one line per epoch otherwise.
      """
    case .bench:
      """
      Time the hand-derived forward + backward pass of every model, and one dual-number
      forward pass, on random inputs. Build with -c release for meaningful figures. With
      NAMEs, only the figures whose names start with one of them (lstm, rnn-forward, echo).
      """
    case .vanishing:
      """
      Print the norm of the Jacobian product ∂h_t/∂h_k against the lag t − k for one cell,
      beside the vanilla RNN's bound (γ‖W‖₂)^(t−k), as a table and a log-scale sparkline
      (and ∂c_t/∂c_k for the LSTM); --svg writes the plot. Each step Jacobian comes from the
      cell's hand-derived backward pass, and the products are checked against the oracles;
      exit 1 if a check fails.
      """
    case .help: "Show help for rnn-explain or one of its commands."
    }
  }

  /// One line of the OPTIONS or COMMANDS list: the name in its column, then the text.
  static func row(_ name: String, _ text: String) -> String {
    "  " + pad(name, 30) + text + "\n"
  }
}
