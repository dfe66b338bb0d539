"""The chart of accounts, entry kinds and posting components: plain enums, no I/O.

Sign convention: a posting's amount is signed, debit positive and credit negative, so every entry's
postings sum to zero and an account's balance is the sum of its postings. Liability and revenue
accounts (seller payable, sales tax, commission...) therefore carry negative balances when they hold
money: the seller payable of a seller we owe $10 sums to -1000.
"""

from __future__ import annotations

import enum


class Account(enum.StrEnum):
    PAYMENT_CLEARING = "payment_clearing"  # asset: shoppers' money held by the payment processor
    SALES_TAX_PAYABLE = "sales_tax_payable"  # liability: tax collected as marketplace facilitator
    COMMISSION_REVENUE = "commission_revenue"  # seller-fulfilled: the category commission
    FEE_REVENUE = "fee_revenue"  # seller-fulfilled: the transaction fee
    RETAIL_REVENUE = "retail_revenue"  # full custody and platform owned: the platform sells
    SHIPPING_REVENUE = "shipping_revenue"  # shipping charged on lines the platform ships
    COST_OF_GOODS = "cost_of_goods"  # full custody: supply price owed for units sold
    REFUNDS = "refunds"  # contra-revenue: refunds the platform bears
    CHARGEBACKS = "chargebacks"  # expense: chargebacks the platform bears
    REDIRECT_COMMISSION_REVENUE = "redirect_commission_revenue"  # commission invoiced on attributed GMV
    SELLER_PAYABLE = "seller_payable"  # liability, one per seller: what the platform owes the seller
    REDIRECT_RECEIVABLE = "redirect_receivable"  # asset, one per seller: invoiced redirect commission
    PAYOUTS = "payouts"  # cash paid to sellers' (and creators') banks
    CREATOR_PAYABLE = "creator_payable"  # liability, one per creator: affiliate commission owed to the creator
    CREATOR_COMMISSIONS = "creator_commissions"  # expense: commission on lines the platform itself sells
    PROMOTION_EXPENSE = "promotion_expense"  # expense: the platform-funded part of promotions' discounts
    # Expense: carrier labels the platform buys. A return label the policy makes the seller pay is charged to
    # the seller and credited here (ledger/return_labels.py); the carrier's bill itself is not booked yet.
    SHIPPING_COST = "shipping_cost"


#: Accounts kept per seller (a posting to them must name the seller).
SELLER_ACCOUNTS = frozenset({Account.SELLER_PAYABLE, Account.REDIRECT_RECEIVABLE})
#: Accounts kept per creator (a posting to them must name the creator, a user id).
CREATOR_ACCOUNTS = frozenset({Account.CREATOR_PAYABLE})
#: Accounts a statement is made of: some party's (a seller's or a creator's) money.
PARTY_ACCOUNTS = SELLER_ACCOUNTS | CREATOR_ACCOUNTS
#: The platform's income statement: net margin = -(sum of their postings).
PROFIT_AND_LOSS = frozenset(
    {
        Account.COMMISSION_REVENUE,
        Account.FEE_REVENUE,
        Account.RETAIL_REVENUE,
        Account.SHIPPING_REVENUE,
        Account.COST_OF_GOODS,
        Account.REFUNDS,
        Account.CHARGEBACKS,
        Account.REDIRECT_COMMISSION_REVENUE,
        Account.CREATOR_COMMISSIONS,
        Account.PROMOTION_EXPENSE,
        Account.SHIPPING_COST,
    }
)


class EntryKind(enum.StrEnum):
    SALE = "sale"  # payment captured for an order
    REFUND = "refund"  # money given back to the shopper
    CHARGEBACK = "chargeback"  # the card holder's bank took the money back
    REDIRECT_COMMISSION = "redirect_commission"  # commission invoiced on an attributed store order
    REDIRECT_REVERSAL = "redirect_reversal"  # that invoice withdrawn (the store order was cancelled)
    NETTING = "netting"  # invoiced redirect commission settled against the seller's payable
    PAYOUT = "payout"  # a bank transfer to the seller (or creator)
    CREATOR_COMMISSION = "creator_commission"  # affiliate commission accrued to a creator (order completed)
    CREATOR_REVERSAL = "creator_reversal"  # that commission taken back for returned units or refunded GMV
    RETURN_LABEL = "return_label"  # a return label the seller pays, charged to it (ledger/return_labels.py)


class Component(enum.StrEnum):
    """What part of a sale a posting is about; refunds use it to find what is left of each line."""

    CASH = "cash"  # the payment clearing side
    GOODS = "goods"
    SHIPPING = "shipping"
    TAX = "tax"
    COMMISSION = "commission"
    FEE = "fee"
    SUPPLY = "supply"  # full custody: supply price x units
    EXCESS = "excess"  # money given back beyond what the order's lines still held
    REDIRECT = "redirect"
    NETTING = "netting"
    PAYOUT = "payout"
    CREATOR = "creator"  # affiliate commission: the bearer's side and the creator's payable
    # Promotions: the platform-funded part of a line's discounts (goods, flash-deal price, waived shipping),
    # debited to promotion_expense and credited to the seller (seller-fulfilled) or the platform's revenue.
    PROMOTION = "promotion"
    RETURN_LABEL = "return_label"  # a seller-paid return label: the seller's charge and the cost recovered
