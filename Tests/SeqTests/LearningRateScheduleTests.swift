import Foundation
import Seq
import Testing

@Suite struct LearningRateScheduleTests {
    private func rates(_ schedule: LearningRateSchedule, at steps: [Int]) -> [Float] {
        let scheduler = LearningRateScheduler(schedule)
        return steps.map { scheduler.learningRate(atStep: $0) }
    }

    private func agree(_ a: [Float], _ b: [Float]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= 1e-6 * abs($1) }
    }

    @Test func constantStaysPut() {
        #expect(rates(.constant(learningRate: 0.1), at: [1, 2, 1_000_000]) == [0.1, 0.1, 0.1])
    }

    @Test func stepDecayHalvesEveryInterval() {
        // Steps 1…10 at 1, 11…20 at 0.5, 21…30 at 0.25.
        let schedule = LearningRateSchedule.stepDecay(learningRate: 1, factor: 0.5, interval: 10)
        #expect(rates(schedule, at: [1, 10, 11, 20, 21, 30, 31]) == [1, 1, 0.5, 0.5, 0.25, 0.25, 0.125])
    }

    @Test func noamWarmsUpLinearlyThenDecaysWithTheInverseSquareRoot() {
        // scale · d^−½ · min(t^−½, t · w^−³ᐟ²) with scale 2, d = 512, w = 4000:
        // t = 1: 2/√512 · 4000^−1.5 = 3.4938563e-7; t = 4000: 2/√512/√4000 = 1.3975425e-3;
        // t = 2000: half the peak; t = 16000: 2/√512/√16000 = 6.9877127e-4, half the peak.
        let schedule = LearningRateSchedule.noam(scale: 2, modelSize: 512, warmupSteps: 4000)
        #expect(agree(rates(schedule, at: [1, 2000, 4000, 16000]), [3.4938563e-7, 6.9877127e-4, 1.3975425e-3, 6.9877127e-4]))
        #expect(agree([schedule.initialLearningRate], [3.4938563e-7]))
    }

    @Test func inverseSquareRootPeaksAtTheGivenRate() {
        // peak · min(t/w, √(w/t)), peak 5e-4, w = 100.
        let schedule = LearningRateSchedule.inverseSquareRoot(peak: 5e-4, warmupSteps: 100)
        #expect(agree(rates(schedule, at: [1, 50, 100, 400, 10_000]), [5e-6, 2.5e-4, 5e-4, 2.5e-4, 5e-5]))
    }

    @Test func reduceOnPlateauWaitsForMoreThanPatienceBadEvaluations() {
        var scheduler = LearningRateScheduler(
            .reduceOnPlateau(learningRate: 1, factor: 0.5, patience: 2, minimum: 0.3, mode: .min, threshold: 0))
        // Index 1 sets the best to 0.9; 0.95, 0.9 (equal is no improvement) and 0.92 are three bad
        // evaluations, more than the patience of 2, so index 4 halves the rate. 0.8 improves; the
        // third bad evaluation after it (index 8) would halve to 0.25 but stops at the minimum 0.3;
        // at index 11 the rate is already at the minimum, so nothing is reduced.
        let losses: [Float] = [1.0, 0.9, 0.95, 0.9, 0.92, 0.8, 0.85, 0.85, 0.85, 0.85, 0.85, 0.85]
        var reductions: [Bool] = []
        var learningRates: [Float] = []
        for loss in losses {
            reductions.append(scheduler.record(metric: loss))
            learningRates.append(scheduler.learningRate(atStep: 100))
        }
        #expect(reductions == [false, false, false, false, true, false, false, false, true, false, false, false])
        #expect(learningRates == [1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.3, 0.3, 0.3, 0.3])
        #expect(scheduler.state.best == 0.8)
    }

    @Test func reduceOnPlateauInMaxModeWithARelativeThreshold() {
        // BLEU-like: larger is better, and an evaluation must beat the best by 1% to count.
        var scheduler = LearningRateScheduler(
            .reduceOnPlateau(learningRate: 0.01, factor: 0.1, patience: 1, minimum: 0, mode: .max, threshold: 0.01))
        var reduced: [Bool] = []
        for metric: Float in [20, 20.1, 21, 21.2, 15] { reduced.append(scheduler.record(metric: metric)) }
        // 20: best. 20.1: +0.5%, not enough (bad 1). 21: +5%, best. 21.2: bad 1. 15: bad 2 > patience 1.
        #expect(reduced == [false, false, false, false, true])
        #expect(abs(scheduler.learningRate(atStep: 1) - 0.001) < 1e-9)
        let afterNaN = scheduler.record(metric: .nan)  // NaN is no improvement (bad 1)
        #expect(!afterNaN)
        #expect(scheduler.state.evaluationsWithoutImprovement == 1)
        #expect(scheduler.state.best == 21)
    }

    @Test func stepBasedSchedulesIgnoreMetrics() {
        var scheduler = LearningRateScheduler(.stepDecay(learningRate: 1, factor: 0.5, interval: 1))
        var reduced: [Bool] = []
        for _ in 0..<10 { reduced.append(scheduler.record(metric: 1)) }
        #expect(!reduced.contains(true))
        #expect(scheduler.learningRate(atStep: 3) == 0.25)
    }

    @Test func applySetsTheRateOfTheOptimizersNextStep() {
        let parameter = Parameter(Tensor(zeros: [2]))
        let sgd = SGD(parameters: ParameterList(named: [("p", parameter)]), learningRate: 123)
        let scheduler = LearningRateScheduler(.inverseSquareRoot(peak: 1, warmupSteps: 4))
        scheduler.apply(to: sgd)
        #expect(sgd.learningRate == 0.25)  // step 1 of 4 warm-up steps
        for _ in 0..<3 { sgd.step() }
        scheduler.apply(to: sgd)
        #expect(sgd.learningRate == 1)     // step 4: the peak
    }

    @Test func schedulesDecodeFromAConfigurationWithDefaults() throws {
        func decode(_ json: String) throws -> LearningRateSchedule {
            try JSONDecoder().decode(LearningRateSchedule.self, from: Data(json.utf8))
        }
        #expect(try decode(#"{"kind": "noam"}"#) == .noam(scale: 1, modelSize: 512, warmupSteps: 4000))
        #expect(try decode(#"{"kind": "reduceOnPlateau", "mode": "max", "patience": 3}"#)
            == .reduceOnPlateau(learningRate: 1e-3, factor: 0.5, patience: 3, minimum: 0, mode: .max, threshold: 1e-4))
        #expect(try decode(#"{"kind": "stepDecay", "learningRate": 0.5, "interval": 7}"#)
            == .stepDecay(learningRate: 0.5, factor: 0.5, interval: 7))

        let unknown = #expect(throws: DecodingError.self) { try decode(#"{"kind": "cosine"}"#) }
        #expect(String(describing: unknown).contains("unknown learning-rate schedule 'cosine'"))
        let invalid = #expect(throws: DecodingError.self) { try decode(#"{"kind": "stepDecay", "factor": 2}"#) }
        #expect(String(describing: invalid).contains("factor must be in (0, 1]"))

        let all: [LearningRateSchedule] = [
            .constant(learningRate: 0.25),
            .stepDecay(learningRate: 1, factor: 0.75, interval: 3),
            .reduceOnPlateau(learningRate: 0.5, factor: 0.25, patience: 4, minimum: 1e-5, mode: .max, threshold: 0.01),
            .noam(scale: 2, modelSize: 256, warmupSteps: 8000),
            .inverseSquareRoot(peak: 7e-4, warmupSteps: 4000),
        ]
        for schedule in all {
            let data = try JSONEncoder().encode(schedule)
            #expect(try JSONDecoder().decode(LearningRateSchedule.self, from: data) == schedule)
        }
    }

    @Test func invalidFieldsAreDescribed() {
        #expect(LearningRateSchedule.noam(scale: 1, modelSize: 512, warmupSteps: 0).problem == "warmupSteps must be ≥ 1, got 0")
        #expect(LearningRateSchedule.reduceOnPlateau(learningRate: 1, factor: 1, patience: 1, minimum: 0, mode: .min, threshold: 0).problem
            == "factor must be in (0, 1), got 1.0")
        #expect(LearningRateSchedule.constant(learningRate: .nan).problem != nil)
        #expect(LearningRateSchedule.inverseSquareRoot(peak: 1e-3, warmupSteps: 10).problem == nil)
    }

    @Test func schedulerStateSurvivesEncoding() throws {
        var scheduler = LearningRateScheduler(
            .reduceOnPlateau(learningRate: 1, factor: 0.5, patience: 0, minimum: 0, mode: .min, threshold: 0))
        scheduler.record(metric: 2)
        scheduler.record(metric: 3)  // reduces to 0.5
        let data = try JSONEncoder().encode(scheduler.state)
        var resumed = LearningRateScheduler(scheduler.schedule)
        resumed.state = try JSONDecoder().decode(LearningRateScheduler.State.self, from: data)
        #expect(resumed.state == scheduler.state)
        #expect(resumed.learningRate(atStep: 1) == 0.5)
        let reduced = resumed.record(metric: 2.5)  // still worse than the remembered best 2
        #expect(reduced)
        #expect(resumed.learningRate(atStep: 1) == 0.25)
    }
}
