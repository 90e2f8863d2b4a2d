// jobrunner: timeout=20m
// Reconciles invoices against payments and reports the ones that disagree. A benchmark script:
// a realistic size and shape of one-off TypeScript, with types, generics and a helper module.
import { Cents, cents, sumBy } from './lib/money';

interface Invoice {
  id: string;
  customer: string;
  total: Cents;
  issuedAt: Date;
  lines: { sku: string; quantity: number; unitPrice: Cents }[];
}

interface Payment {
  invoiceId: string;
  amount: Cents;
  receivedAt: Date;
}

type Finding =
  | { kind: 'unpaid'; invoice: Invoice }
  | { kind: 'underpaid'; invoice: Invoice; missing: Cents }
  | { kind: 'overpaid'; invoice: Invoice; extra: Cents }
  | { kind: 'total-mismatch'; invoice: Invoice; computed: Cents };

function groupBy<T, K extends string>(items: readonly T[], key: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

function reconcile(invoice: Invoice, payments: readonly Payment[]): Finding | undefined {
  const computed = sumBy(invoice.lines, (line) => line.quantity * line.unitPrice);
  if (computed !== invoice.total) return { kind: 'total-mismatch', invoice, computed };
  if (payments.length === 0) return { kind: 'unpaid', invoice };
  const paid = sumBy(payments, (payment) => payment.amount);
  if (paid < invoice.total) return { kind: 'underpaid', invoice, missing: cents(invoice.total - paid) };
  if (paid > invoice.total) return { kind: 'overpaid', invoice, extra: cents(paid - invoice.total) };
  return undefined;
}

function describe(finding: Finding): string {
  switch (finding.kind) {
    case 'unpaid':
      return `${finding.invoice.id}: unpaid (${finding.invoice.total} cents)`;
    case 'underpaid':
      return `${finding.invoice.id}: ${finding.missing} cents missing`;
    case 'overpaid':
      return `${finding.invoice.id}: ${finding.extra} cents too much`;
    case 'total-mismatch':
      return `${finding.invoice.id}: lines add up to ${finding.computed}, total says ${finding.invoice.total}`;
  }
}

const invoices: Invoice[] = Array.from({ length: 250 }, (_, index) => ({
  id: `INV-${String(index).padStart(5, '0')}`,
  customer: `customer-${index % 17}`,
  total: cents(1000 + (index % 7) * 250),
  issuedAt: new Date(Date.UTC(2026, 10, 1 + (index % 28))),
  lines: [{ sku: `SKU-${index % 11}`, quantity: 1, unitPrice: cents(1000 + (index % 7) * 250) }],
}));
const payments: Payment[] = invoices
  .filter((_, index) => index % 5 !== 0)
  .map((invoice, index) => ({
    invoiceId: invoice.id,
    amount: cents(invoice.total - (index % 9 === 0 ? 100 : 0)),
    receivedAt: new Date(invoice.issuedAt.getTime() + 86_400_000),
  }));

const paymentsByInvoice = groupBy(payments, (payment) => payment.invoiceId);
const dryRun = (process.env.DRY_RUN ?? '1') !== '0';
let findings = 0;
for (const invoice of invoices) {
  const finding = reconcile(invoice, paymentsByInvoice.get(invoice.id) ?? []);
  if (finding) {
    findings += 1;
    console.log(describe(finding));
  }
}
console.log(`reconciled ${invoices.length} invoices: ${findings} findings${dryRun ? ' (dry run)' : ''}`);
