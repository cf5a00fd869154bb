"""Month by month cash over the horizon: volume growth, price declines, purchases, replacement
at the end of a GPU's useful life, resale, procurement lead time, NPV, break-even month.

Month 0 is the day of the decision: owned GPUs and their host servers are ordered and paid,
and the serving setup is paid. Months 1..H are operating months, each paid at its end. Month
1 runs at today's volume (times ``volume_curve``, where given) and prices; volume grows by
``growth_per_month`` a month, API prices
fall by ``api_price_decline_per_year`` and GPU prices (rental and purchase) by
``gpu_price_decline_per_year`` a year. Owned GPUs are bought for the month that first needs
them (at the start of that month) and replaced at the end of their useful life, resold then
at ``resale_fraction`` of what new hardware costs that month. The value left in hardware at
the horizon's end (straight line from its price to its resale value over the life) is
credited in the NPV, not in the cumulative cash. During an owned
option's procurement lead time an API carries its load: a hybrid's own API, otherwise the
scenario's cheapest API option (with none, the lead time is not modelled).

Stored images accumulate: month k pays for ``min(k, retention_months)`` months of them (the
monthly cost is the steady state, once the store is full).

With no growth, no price decline, no lead time and a one-month retention the cash flow is
today's monthly cost (without the capital charge and the spread setup, which are cash at
month 0) month after month: the cumulative cost and NPV reproduce
:func:`costlib.tco.monthly_cost_by_area`'s figures.

Everything broadcasts: option fields may be Monte Carlo arrays of shape ``S``; a cash flow
has shape ``(H + 1,) + S``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from costlib.tco import (
    host_servers,
    monthly_cost_by_area,
    monthly_cost_usd,
    option_gpus,
    option_workload,
    setup_usd,
    storage_usd_per_month,
)


@dataclass(frozen=True)
class Timeline:
    """How the world moves over the horizon.

    growth_per_month : float  Volume growth, compounded monthly, >= 0. [1/month]
    api_price_decline_per_year : float  Yearly fall of API prices. [1/year]
    gpu_price_decline_per_year : float  Yearly fall of GPU rental and purchase prices. [1/year]
    volume_curve : tuple of float  Volume over today's, month by month from month 1 (the
        last holds after it), never falling; it multiplies the growth. [ratio]
    """

    growth_per_month: float = 0.0
    api_price_decline_per_year: float = 0.0
    gpu_price_decline_per_year: float = 0.0
    volume_curve: tuple[float, ...] = ()


def _months_axis(months: int, like, start: int = 0) -> np.ndarray:
    """Months ``start..start + months - 1`` as a column that broadcasts against ``like``."""
    return np.arange(start, start + months, dtype=float).reshape((-1,) + (1,) * np.ndim(like))


def price_factor(decline_per_year, months_from_today):
    """A price ``months_from_today`` months on over today's: ``(1 - d) ** (m / 12)``. [ratio]"""
    return np.power(np.subtract(1.0, decline_per_year), np.divide(months_from_today, 12.0))


def volumes_per_month(images_per_month, timeline: Timeline, months: int):
    """Images requested in operating months 1..``months``: today's volume times the volume
    curve, compounding by ``growth_per_month``. Shape ``(months,) + shape``. [images/month]"""
    growth = timeline.growth_per_month
    k = _months_axis(months, np.broadcast(images_per_month, growth))
    curve = timeline.volume_curve or (1.0,)
    shape = np.array([curve[min(m, len(curve) - 1)] for m in range(months)])
    return np.multiply(images_per_month, np.power(np.add(1.0, growth), k)) * _trailing(shape, k)


def _changes_volume(timeline: Timeline) -> bool:
    """Whether months differ in volume (else every month is costed once)."""
    return bool(np.any(timeline.growth_per_month)) or any(x != 1 for x in timeline.volume_curve)


@dataclass(frozen=True)
class CashFlow:
    """An option's cash, month by month.

    cash_usd : ndarray  Cash paid in month 0..H (month 0: purchases and setup; resale comes in
        as negative cash in the month a GPU retires). Shape ``(H + 1,) + S``. [USD]
    residual_usd : ndarray  Value left in owned hardware at the end of month H. [USD]
    gpu_purchases : ndarray  GPUs bought in month 0..H-1 (new and replacements). [GPUs]
    """

    cash_usd: np.ndarray
    residual_usd: np.ndarray
    gpu_purchases: np.ndarray

    @property
    def cumulative_usd(self) -> np.ndarray:
        """Cumulative cash at the end of months 0..H; resale of retired GPUs credited, the
        value left at the end not. [USD]"""
        return np.cumsum(self.cash_usd, axis=0)

    def npv_usd(self, annual_discount_rate):
        """Present value of the cash less the discounted value left at the end. [USD]"""
        months = self.cash_usd.shape[0] - 1
        monthly_rate = np.expm1(np.log1p(np.asarray(annual_discount_rate, dtype=float)) / 12)
        t = _months_axis(months + 1, monthly_rate)
        discount = np.exp(-t * np.log1p(monthly_rate))
        return (np.sum(self.cash_usd * discount, axis=0)
                - self.residual_usd * discount[-1])


@dataclass(frozen=True)
class _Operating:
    """The cash of operating months 1..H before purchases, in parts that prices and time
    scale: each is ``(M,) + S`` with M = H, or M = 1 where every month has today's volume.

    fixed_usd : everything but API fees and GPU time, less the capital charge of owned
        hardware and the spread setup. [USD/month]
    api_usd, gpu_usd : API fees and GPU rental (or GPU-seconds) at today's prices. [USD/month]
    storage_usd : steady-state storage, of which month k lacks ``unfilled[k]``. [USD/month]
    unfilled : ``(H,) + ...``  Share of the steady-state store not yet filled. [0-1]
    gpus : GPUs held. [GPUs]
    """

    fixed_usd: np.ndarray
    api_usd: np.ndarray
    gpu_usd: np.ndarray
    storage_usd: np.ndarray
    unfilled: np.ndarray
    gpus: np.ndarray

    def cash_usd(self, timeline: Timeline, months: int) -> np.ndarray:
        """Month by month, ``(H,) + S``. [USD]"""
        api_factor, gpu_factor = _price_factors(timeline, months)
        cash = (self.fixed_usd + self.api_usd * _trailing(api_factor, self.api_usd)
                + self.gpu_usd * _trailing(gpu_factor, self.gpu_usd)
                - self.storage_usd * self.unfilled)
        return np.broadcast_to(cash, (months,) + np.shape(cash)[1:])


def _operating(option, workload, ops, timeline: Timeline, months: int) -> _Operating:
    """The parts of an option's operating cash (see :class:`_Operating`)."""
    if _changes_volume(timeline):
        volumes = volumes_per_month(workload.images_per_month, timeline, months)
    else:  # one volume for every month: cost it once
        volumes = np.asarray(workload.images_per_month, dtype=float)[None]
    monthly = dataclasses.replace(workload, images_per_month=volumes)
    areas = monthly_cost_by_area(option, monthly, ops)
    rented = not option.buys_hardware  # rentals and GPU-seconds follow GPU prices
    fixed = sum(v for a, v in areas.items() if a not in ("api_fees", "gpu"))
    if option.self_hosted:
        fixed = fixed - setup_usd(ops) / ops.amortization_months
    # storage fills up: month k keeps min(k, retention) months of images, not the steady state
    k = _months_axis(months, monthly.retention_months)
    unfilled = 1.0 - np.minimum((k + 1.0) / monthly.retention_months, 1.0)
    storage = (storage_usd_per_month(option_workload(option, monthly), ops) if np.any(unfilled)
               else np.zeros_like(fixed))
    return _Operating(fixed, areas["api_fees"], areas["gpu"] if rented else 0.0 * fixed,
                      storage, _trailing(unfilled, volumes), option_gpus(option, monthly))


def _trailing(factor, like):
    """``factor`` (months first) with trailing axes to broadcast against ``like``."""
    return np.reshape(factor, np.shape(factor) + (1,) * (np.ndim(like) - np.ndim(factor)))


_FACTORS: dict = {}


def _price_factors(timeline: Timeline, months: int) -> tuple:
    """API and GPU price factors of months 1..H, ``(H,) + S`` each. The last timeline's are
    kept: a model's options (and a Monte Carlo sample's) share one timeline."""
    key = (id(timeline), months)
    kept = _FACTORS.get(key)
    if kept is not None and kept[0] is timeline:
        return kept[1]
    declines = (timeline.api_price_decline_per_year, timeline.gpu_price_decline_per_year)
    k = _months_axis(months, np.broadcast(*declines))
    factors = tuple(price_factor(d, k) if np.any(d) else 1.0 for d in declines)
    _FACTORS.clear()
    _FACTORS[key] = (timeline, factors)
    return factors


def _purchases(own, held_gpus, timeline: Timeline, months: int):
    """Cash for owned GPUs and host servers, month 0..H-1, as ``(cash, resale, gpus bought,
    residual)``: each month's purchases are the GPUs a month first needs plus replacements
    of those reaching the end of their life, which are resold then at ``resale_fraction``
    of what new hardware costs that month."""
    shape = np.shape(held_gpus)[1:]
    life = np.maximum(np.round(np.broadcast_to(own.useful_life_months, shape)), 1).astype(int)
    held = np.maximum.accumulate(held_gpus, axis=0)  # owned GPUs are never sold early
    servers = host_servers(own, held)
    bought_gpus = np.zeros((months,) + shape)
    bought_servers = np.zeros((months,) + shape)
    paid = np.zeros((months,) + shape)
    resale = np.zeros((months,) + shape)
    fraction = np.broadcast_to(own.resale_fraction, shape)

    def new_price(gpus, servers, month):
        return (gpus * np.multiply(own.purchase_usd,
                                   price_factor(timeline.gpu_price_decline_per_year, month))
                + servers * np.asarray(own.host_usd_per_server))

    new_gpus = np.diff(held, axis=0, prepend=0.0)
    new_servers = np.diff(servers, axis=0, prepend=0.0)
    buying = new_gpus.reshape(months, -1).any(axis=1)
    first_retirement = int(life.min())
    residual = np.zeros(shape)
    for t in range(months):  # bought at the start of month t + 1
        if t < first_retirement and not buying[t]:
            continue  # nothing new needed, nothing at the end of its life
        bought_gpus[t], bought_servers[t] = new_gpus[t], new_servers[t]
        if t >= first_retirement:  # some GPUs reach the end of their life: replace, resell
            index = np.maximum(t - life, 0)[None]
            retiring = t - life >= 0
            old_gpus = np.where(retiring, np.take_along_axis(bought_gpus, index, 0)[0], 0.0)
            old_servers = np.where(retiring, np.take_along_axis(bought_servers, index, 0)[0],
                                   0.0)
            resale[t] = fraction * new_price(old_gpus, old_servers, t)
            bought_gpus[t] += old_gpus
            bought_servers[t] += old_servers
        paid[t] = new_price(bought_gpus[t], bought_servers[t], t)
        # still held at the end: straight line from its price to its resale value then
        age = months - t
        end_resale = fraction * new_price(bought_gpus[t], bought_servers[t], months)
        left = paid[t] - min(age, 1e9) / life * (paid[t] - end_resale)
        residual += np.where(age <= life, left, 0.0)
    return paid, resale, bought_gpus, residual


def cash_flow(option, workload, ops, timeline: Timeline, months: int, bridge=None) -> CashFlow:
    """The cash flow of ``option`` over ``months`` (see the module notes).

    Parameters
    ----------
    option : an option of :mod:`costlib.options`
    workload, ops : Workload, Operations
    timeline : Timeline
    months : int  The horizon H. [months]
    bridge : ManagedAPI or None  The API that carries an owned option's load during its
        procurement lead time (None: the lead time is not modelled).
    """
    own = _operating(option, workload, ops, timeline, months)
    operating = own.cash_usd(timeline, months)
    shape = operating.shape[1:]
    cash = np.zeros((months + 1,) + shape)
    cash[1:] = operating
    residual = np.zeros(shape)
    bought = np.zeros((months,) + shape)
    cash[0] += _setup(option, ops)
    cash[-1] += _owed(option, own, timeline, months)
    if option.buys_hardware:
        held = np.broadcast_to(own.gpus, (months,) + shape)
        paid, resale, bought, residual = _purchases(option.local_part, held, timeline, months)
        cash[:months] += paid - resale
        lead = _lead(option, bridge, shape)
        if lead is not None:
            carried = _operating(bridge, workload, ops, timeline, months).cash_usd(timeline,
                                                                                 months)
            k = _months_axis(months, lead, start=1)
            cash[1:] = np.where(k <= lead, carried, cash[1:])
    return CashFlow(cash, residual, bought)


def _setup(option, ops):
    """Serving setup, paid at month 0 by options the team runs. [USD]"""
    return setup_usd(ops) if option.self_hosted else 0.0


def _owed(option, own: _Operating, timeline: Timeline, months: int):
    """A committed-use term that outlives the horizon: its remaining months at the last
    month's rental, owed at the horizon's end. [USD]"""
    owed_months = np.maximum(np.subtract(option.committed_months, months), 0.0)
    if not np.any(owed_months):
        return 0.0
    gpu_factor = _trailing(_price_factors(timeline, months)[1], own.gpu_usd)
    last = np.broadcast_to(own.gpu_usd * gpu_factor,
                           (months,) + np.shape(own.gpu_usd * gpu_factor)[1:])[-1]
    return owed_months * last


def _lead(option, bridge, shape):
    """Whole months an owned option's GPUs are on order, or None where no API bridges them.
    [months]"""
    if bridge is None:
        return None
    lead = np.broadcast_to(np.round(option.local_part.lead_months), shape)
    return lead if np.any(lead > 0) else None


def cash_totals(option, workload, ops, timeline: Timeline, months: int, annual_discount_rate,
                bridge=None) -> tuple:
    """``(cumulative cash at the horizon's end, NPV)`` of :func:`cash_flow`, the same figures
    without building months x samples arrays per option where every month has today's volume
    (a Monte Carlo sample): each part of the operating cash times its sum of price factors
    and discounts over the months, computed once per timeline. [USD]"""
    if _changes_volume(timeline):
        flow = cash_flow(option, workload, ops, timeline, months, bridge)
        return flow.cumulative_usd[-1], flow.npv_usd(annual_discount_rate)
    sums = _month_sums(timeline, months, annual_discount_rate)
    own = _operating(option, workload, ops, timeline, months)

    def operating(parts: _Operating, weight: str, upto=None):
        def total(name):
            summed = sums[name + weight]
            return summed[-1] if upto is None else _at(summed, upto)
        fixed = parts.fixed_usd[0] * total("one") + parts.api_usd[0] * total("api")
        fixed = fixed + parts.gpu_usd[0] * total("gpu")
        if np.any(parts.storage_usd):
            unfilled = parts.unfilled * sums["disc" + weight][1]
            cum = np.cumsum(np.broadcast_to(unfilled, (months,) + np.shape(unfilled)[1:]), 0)
            fixed = fixed - parts.storage_usd[0] * (cum[-1] if upto is None else _at(cum, upto))
        return fixed

    end_discount = sums["disc_npv"][0][-1]
    if option.buys_hardware:
        held = np.broadcast_to(own.gpus[0], (months,) + np.shape(own.gpus[0]))
        paid, resale, _, residual = _purchases(option.local_part, held, timeline, months)
    totals = []
    for weight, at_end in (("_cash", 1.0), ("_npv", end_discount)):
        total = _setup(option, ops) + operating(own, weight) + _owed(option, own, timeline,
                                                                    months) * at_end
        if option.buys_hardware:
            t_discount = sums["disc" + weight][0][:months]
            total = total + np.sum((paid - resale) * _trailing(t_discount, paid), axis=0)
            if weight == "_npv":
                total = total - residual * end_discount
            lead = _lead(option, bridge, np.shape(total))
            if lead is not None:
                carried = _operating(bridge, workload, ops, timeline, months)
                total = total + operating(carried, weight, lead) - operating(own, weight, lead)
        totals.append(total)
    return tuple(totals)


def _at(cumulative, months):
    """A running sum over months after ``months`` months (0: nothing)."""
    index = np.maximum(np.asarray(months, dtype=int) - 1, 0)
    cumulative = _trailing(cumulative, index[None])
    picked = np.take_along_axis(np.broadcast_to(cumulative, (cumulative.shape[0],)
                                                + np.shape(index)), index[None], 0)[0]
    return np.where(np.asarray(months) > 0, picked, 0.0)


_SUMS: dict = {}


def _month_sums(timeline: Timeline, months: int, annual_discount_rate) -> dict:
    """Running sums over operating months 1..H of 1, the API and the GPU price factors, each
    undiscounted (``_cash``) and discounted (``_npv``); ``disc_cash``/``disc_npv`` hold the
    discount of months 0..H and of months 1..H. The last set is kept."""
    key = (id(timeline), months, id(annual_discount_rate))
    kept = _SUMS.get(key)
    if kept is not None and kept[0] is timeline and kept[1] is annual_discount_rate:
        return kept[2]
    monthly_rate = np.expm1(np.log1p(np.asarray(annual_discount_rate, dtype=float)) / 12)
    t = _months_axis(months + 1, monthly_rate)
    discount = np.exp(-t * np.log1p(monthly_rate))
    api_factor, gpu_factor = _price_factors(timeline, months)
    sums = {"disc_cash": (np.ones_like(discount), np.ones_like(discount[1:])),
            "disc_npv": (discount, discount[1:])}
    for weight in ("_cash", "_npv"):
        w = sums["disc" + weight][1]
        sums["one" + weight] = np.cumsum(np.broadcast_to(w, w.shape), axis=0)
        for name, factor in (("api", api_factor), ("gpu", gpu_factor)):
            f = _trailing(factor, w) * w
            sums[name + weight] = np.cumsum(np.broadcast_to(f, np.broadcast(f, w).shape), 0)
    _SUMS.clear()
    _SUMS[key] = (timeline, annual_discount_rate, sums)
    return sums


def model_cash_flow(model, name: str, months: int | None = None) -> CashFlow:
    """The cash flow of one option of a resolved scenario over its horizon (or ``months``):
    its timeline, and for an owned option the API that bridges the lead time."""
    option = model.option(name)
    return cash_flow(option, model.workload, model.ops, model.timeline,
                     months or model.scenario.horizon_months, bridge_api(model, name))


def model_cash_totals(model, name: str) -> tuple:
    """:func:`cash_totals` of one option of a resolved scenario over its horizon. [USD]"""
    return cash_totals(model.option(name), model.workload, model.ops, model.timeline,
                       model.scenario.horizon_months, model.values["discount_rate"],
                       bridge_api(model, name))


def bridge_api(model, name: str):
    """The API that carries an owned option's load while its GPUs are on order: a hybrid's
    own API, else the scenario's cheapest API option today, else None."""
    option = model.option(name)
    if not option.buys_hardware:
        return None
    if option.api_part is not None:
        return option.api_part
    apis = [o for o in model.options.values() if o.local_part is None]
    if not apis:
        return None
    return min(apis, key=lambda o: float(np.mean(monthly_cost_usd(o, model.workload,
                                                                   model.ops))))


def breakeven_month(cumulative_a, cumulative_b):
    """The first month from which ``a``'s cumulative cash stays at or below ``b``'s (the
    month buying pays back against renting or an API): 0 when it never costs more, ``nan``
    when it still costs more at the horizon's end. [month]"""
    behind = np.asarray(cumulative_a) > np.asarray(cumulative_b) + 1e-6
    months = behind.shape[0]
    last_behind = months - 1 - np.argmax(behind[::-1], axis=0)
    month = np.where(behind.any(axis=0), last_behind + 1.0, 0.0)
    return np.where(month >= months, np.nan, month)


def payback_month(model, owned: str, other: str) -> float:
    """The month from which buying ``owned`` has cost no more cash than ``other``
    (:func:`breakeven_month` of their cumulative cash); ``nan`` when it has not paid back by
    the end of the horizon. [month]"""
    return float(breakeven_month(model_cash_flow(model, owned).cumulative_usd,
                                 model_cash_flow(model, other).cumulative_usd))
