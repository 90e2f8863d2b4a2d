"""Application code: how the service itself totals an order."""


def order_total(lines):
    return sum(line["quantity"] * line["unit_price"] for line in lines)
