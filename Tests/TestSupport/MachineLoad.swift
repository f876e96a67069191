import Testing

/// Tests whose timing matters (rates, round trips, timeouts) and tests that load the machine
/// (floods, sustained transfers, subprocess emulators) run one at a time: on two cores a flood next
/// to a rate measurement makes the measurement fail, not the code. Other tests run in parallel
/// with them as usual. Apply it to a suite with `@Suite(.machineLoad)`.
public struct MachineLoadTrait: SuiteTrait, TestTrait, TestScoping {
    public var isRecursive: Bool { true }

    /// Each test case runs inside the scope; a suite itself does not hold it.
    public func scopeProvider(for test: Test, testCase: Test.Case?) -> Self? {
        testCase == nil ? nil : self
    }

    public func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        await MachineLoad.shared.acquire()
        do {
            try await function()
        } catch {
            await MachineLoad.shared.release()
            throw error
        }
        await MachineLoad.shared.release()
    }
}

extension Trait where Self == MachineLoadTrait {
    /// The suite's tests take turns with every other `.machineLoad` test of the process.
    public static var machineLoad: Self { MachineLoadTrait() }
}

/// The turn `.machineLoad` tests take, first come first served.
actor MachineLoad {
    static let shared = MachineLoad()
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    func acquire() async {
        guard busy else {
            busy = true
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    func release() {
        if waiting.isEmpty {
            busy = false
        } else {
            waiting.removeFirst().resume()
        }
    }
}
