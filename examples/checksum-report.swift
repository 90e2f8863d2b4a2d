// Prints a checksum per record, the kind of report a compiled script produces quickly.
let records = ["alpha", "beta", "gamma"]
var total: UInt32 = 0
for record in records {
    let sum = record.utf8.reduce(UInt32(0)) { ($0 &* 31) &+ UInt32($1) }
    total = total &+ sum
    print("\(record): \(sum)")
}
print("checksum done: \(records.count) records, total \(total)")
