/// What a rescued stage records, for both drivers: which worker stopped renewing its lease,
/// when, and what the operator can do.
struct LeaseRescue {
    var owner: String
    var expiredAt: String
    var maxAttempts: Int

    var interruptedMessage: String {
        """
        worker \(owner) stopped renewing its lease (expired \(expiredAt)) while the script \
        may have been running; it is not re-run automatically — check its effects, then \
        retry it explicitly if that is safe
        """
    }

    var requeuedMessage: String {
        "worker \(owner) stopped renewing its lease (expired \(expiredAt)); queued again"
    }

    var failedMessage: String {
        """
        worker \(owner) stopped renewing its lease (expired \(expiredAt)) on the last of \
        \(maxAttempts) attempts; retry it from the dashboard once the cause is fixed
        """
    }
}
