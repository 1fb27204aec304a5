"""The console's pages: Jinja2 templates kept here as strings, and its one stylesheet.

Jinja2 (autoescaping on for every template) because the pages show text people typed —
reports, reasons, 批复 — and escaping must never depend on remembering it. The CSS is
our own, served by the console itself: no external network at run time, no JavaScript
needed (only the Mini App's sign-in page runs a few lines to read Telegram's initData).
"""

from __future__ import annotations

from typing import Any

from jinja2 import DictLoader, Environment, StrictUndefined

CSS = """
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;font:15px/1.55 system-ui,-apple-system,"PingFang SC","Noto Sans CJK SC",
"Microsoft YaHei",sans-serif;color:#1f2328;background:#f5f6f8}
a{color:#0b5cad}
header{background:#9b1c1c;color:#fff;padding:.5rem 1rem}
header .unit{font-weight:600;margin-right:1rem}
header a{color:#fff}
nav{display:flex;flex-wrap:wrap;gap:.25rem .9rem;margin-top:.25rem}
nav a{text-decoration:none;opacity:.9}
nav a.on{font-weight:700;text-decoration:underline;opacity:1}
.who{float:right;font-size:.85rem}
.who form{display:inline}
.who button{background:none;border:1px solid #fff;color:#fff;border-radius:4px;padding:0 .4rem;
font:inherit;cursor:pointer}
main{max-width:1200px;margin:0 auto;padding:1rem}
h1{font-size:1.3rem;margin:.2rem 0 .8rem}
h2{font-size:1.08rem;margin:1.3rem 0 .5rem}
.card{background:#fff;border:1px solid #d8dde3;border-radius:8px;padding:.8rem 1rem;
margin-bottom:1rem;overflow-wrap:anywhere}
.muted{color:#656d76;font-size:.9rem}
.scroll{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{border-bottom:1px solid #e3e6ea;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#f0f2f5;font-weight:600;white-space:nowrap}
td.num,th.num{text-align:right;white-space:nowrap}
form.filters{display:flex;flex-wrap:wrap;gap:.5rem;align-items:flex-end;margin-bottom:1rem}
form.filters label{display:flex;flex-direction:column;font-size:.85rem;color:#444}
input,select,button{font:inherit;max-width:100%}
input,select{padding:.3rem .4rem;border:1px solid #b9c0c8;border-radius:4px;background:#fff}
button{padding:.3rem .8rem;border:1px solid #0b5cad;background:#0b5cad;color:#fff;
border-radius:4px;cursor:pointer}
button.danger{background:#b42318;border-color:#b42318}
.void input[type=text]{width:9rem}
.tag{display:inline-block;padding:0 .4rem;border-radius:4px;font-size:.85rem;
background:#eef1f4;white-space:nowrap}
.g-good{background:#dcfce7}.g-fairly_good{background:#e0f2fe}.g-average{background:#fef9c3}
.g-poor{background:#fee2e2}
.line td{border-top:3px solid #b42318}
.near{background:#fff7e6}
.error{color:#b42318}
.ok{color:#166534}
.cal{display:grid;grid-template-columns:repeat(7,minmax(0,1fr));gap:3px;max-width:560px}
.cal div{border-radius:4px;padding:.2rem;min-height:3rem;font-size:.8rem;background:#fff;
border:1px solid #e3e6ea;overflow:hidden}
.cal .head{min-height:auto;text-align:center;background:none;border:none;font-weight:600}
.cal b{display:block;font-size:.9rem}
.s-on_time{background:#dcfce7!important}.s-late{background:#fef9c3!important}
.s-backfill{background:#ffedd5!important}.s-missing{background:#fee2e2!important}
.s-leave{background:#e0f2fe!important}.s-rest{background:#f0f2f5!important;color:#8b949e}
.s-voluntary{background:#ede9fe!important}
.legend span{margin-right:.5rem;white-space:nowrap}
.legend i{display:inline-block;width:.8rem;height:.8rem;border-radius:2px;margin-right:.2rem;
vertical-align:-1px;border:1px solid #d0d7de}
ul.plain{padding-left:1.1rem;margin:.3rem 0}
pre{white-space:pre-wrap;margin:0;font:inherit}
.item{border-bottom:1px solid #eef0f2;padding:.5rem 0}
.item:last-child{border-bottom:none}
.grid2{display:grid;grid-template-columns:repeat(auto-fit,minmax(280px,1fr));gap:1rem}
@media (max-width:600px){main{padding:.6rem}.who{float:none;display:block}
th,td{padding:.3rem .3rem}
table.stack,table.stack tbody,table.stack tr,table.stack td{display:block;width:100%}
table.stack tr:first-child{display:none}
table.stack tr{border-bottom:1px solid #d8dde3;padding:.3rem 0}
table.stack td{border:none;padding:.05rem .3rem;text-align:left}
table.stack td[data-label]::before{content:attr(data-label) "：";color:#656d76}}
"""

BASE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }} · 平时考核</title>
{% if refresh is defined and refresh %}<meta http-equiv="refresh" content="2">{% endif %}
<link rel="stylesheet" href="{{ prefix }}/static/console.css">
</head><body>
<header>
{% if viewer %}<span class="who">{{ viewer.person.name }}（{{ viewer.roles_label }}）
<form method="post" action="{{ prefix }}/logout"><input type="hidden" name="csrf"
value="{{ viewer.csrf }}"><button type="submit">退出</button></form></span>{% endif %}
<span class="unit">平时考核 · {{ unit or "网页控制台" }}</span>
{% if viewer %}<nav>
{% for key, label, href in viewer.menu %}<a href="{{ href }}"
{% if key == page %}class="on"{% endif %}>{{ label }}</a>{% endfor %}
</nav>{% endif %}
</header>
<main>
{% block main %}{% endblock %}
</main></body></html>"""

MESSAGE = """{% extends "base" %}{% block main %}
<h1>{{ heading }}</h1>
<div class="card"><p{% if error %} class="error"{% endif %}>{{ text }}</p>
{% if hint %}<p class="muted">{{ hint }}</p>{% endif %}</div>
{% endblock %}"""

WEBAPP = """{% extends "base" %}{% block main %}
<h1>正在登录……</h1>
<form id="f" method="post" action="{{ prefix }}/webapp">
<input type="hidden" name="init_data" id="d">
<noscript><p>小程序登录需要启用脚本；也可以在私聊里发送 /console 获取登录链接。</p></noscript>
</form>
<script>
(function(){var h=location.hash.slice(1),p=new URLSearchParams(h),
d=(window.Telegram&&Telegram.WebApp&&Telegram.WebApp.initData)||p.get("tgWebAppData")||"";
document.getElementById("d").value=d;document.getElementById("f").submit();})();
</script>
{% endblock %}"""

OVERVIEW = """{% extends "base" %}{% block main %}
<h1>总览 <span class="muted">{{ today_label }}（统计到 {{ stats_until }}）</span></h1>
<h2>填报率与审阅率</h2>
<div class="scroll"><table id="stats">
<tr><th>部门</th><th class="num">人数</th><th class="num">今日填报</th>
<th class="num">本周填报</th><th class="num">本周审阅</th>
<th class="num">本月填报</th><th class="num">本月审阅</th></tr>
{% for row in stats %}<tr>
<td>{{ row.label }}</td><td class="num">{{ row.people }}</td>
<td class="num">{{ pct(row.today.filing_rate) }}</td>
<td class="num">{{ pct(row.week.filing_rate) }}</td>
<td class="num">{{ pct(row.week.review_rate) }}</td>
<td class="num">{{ pct(row.month.filing_rate) }}</td>
<td class="num">{{ pct(row.month.review_rate) }}</td></tr>{% endfor %}
</table></div>
<div class="grid2">
<div><h2>今日未报（{{ missing|length }}人）</h2><div class="card">
{% if not today_required %}<p class="muted">今天不是工作日。</p>
{% elif missing %}{% if before_deadline %}<p class="muted">截止 {{ deadline }}，以下人员尚未提交：</p>{% endif %}
<ul class="plain">{% for p, dept in missing %}<li><a href="{{ person_url(p) }}">{{ p.name }}</a>
<span class="muted">{{ dept }}</span></li>{% endfor %}</ul>
{% else %}<p class="ok">今天应报的人都已提交。</p>{% endif %}</div></div>
<div><h2>逾期任务（{{ overdue|length }}）</h2><div class="card">
{% if overdue %}<ul class="plain">{% for task, who in overdue %}<li>{{ who.name }}：{{ task.text }}
<span class="muted">截止 {{ short(task.due) }}</span></li>{% endfor %}</ul>
{% else %}<p class="muted">没有逾期任务。</p>{% endif %}</div></div>
<div><h2>近期节假日与调休</h2><div class="card">
{% if holidays %}<ul class="plain">{% for text in holidays %}<li>{{ text }}</li>{% endfor %}</ul>
{% else %}<p class="muted">未来 60 天没有节假日或调休。</p>{% endif %}</div></div>
<div><h2>申辩与复核（{{ requests|length }}）</h2><div class="card">
{% include "requests_list" %}</div></div>
</div>
{% endblock %}"""

PEOPLE = """{% extends "base" %}{% block main %}
<h1>人员</h1>
<form class="filters" method="get" action="{{ prefix }}/people">
<label>姓名 / 工号 / 部门<input type="search" name="q" value="{{ q }}"></label>
<button type="submit">搜索</button></form>
<p class="muted">共 {{ rows|length }} 人</p>
<div class="scroll"><table class="stack">
<tr><th>姓名</th><th>工号</th><th>部门</th><th>类别</th><th>角色</th></tr>
{% for p, dept, roles in rows %}<tr><td><a href="{{ person_url(p) }}">{{ p.name }}</a></td>
<td data-label="工号">{{ p.employee_id or "" }}</td><td data-label="部门">{{ dept }}</td>
<td data-label="类别">{{ p.category }}</td><td data-label="角色">{{ roles }}</td></tr>{% endfor %}
</table></div>
{% endblock %}"""

PERSON = """{% extends "base" %}{% block main %}
<h1>{{ person.name }} <span class="muted">{{ dept }} · {{ person.category }}</span></h1>
<div class="grid2">
<div><h2>{{ quarter_label }}得分</h2><div class="card" id="breakdown">
{% if lines %}<p><b>{{ header }}</b></p><pre>{% for line in lines %}{{ line }}
{% endfor %}</pre>{% else %}<p class="muted">还没有可计算的得分。</p>{% endif %}</div></div>
<div><h2>填报日历 {{ month_label }}</h2>
<form class="filters" method="get"><label>月份<input type="month" name="m" value="{{ month_value }}"></label>
<button type="submit">查看</button>
<a href="?m={{ prev_month }}">上月</a> <a href="?m={{ next_month }}">下月</a></form>
<div class="cal" id="calendar">{% for w in "一二三四五六日" %}<div class="head">{{ w }}</div>{% endfor %}
{% for cell in cells %}{% if cell %}<div class="s-{{ cell.state }}" title="{{ cell.label }}">
<b>{{ cell.day.day }}</b>{{ cell.label }}</div>{% else %}<div class="s-rest"></div>{% endif %}{% endfor %}
</div>
<p class="legend muted">{% for state, label in legend %}<span><i class="s-{{ state }}"></i>{{ label }}</span>{% endfor %}</p>
</div></div>
<h2>点赞与错情（{{ quarter_label }}）</h2>
{% include "records_table" %}
<div class="grid2">
<div><h2>任务</h2><div class="card">{% if tasks %}<ul class="plain">{% for t in tasks %}
<li>{{ t.text }} <span class="muted">截止 {{ short(t.due) }} · {{ task_status(t) }}</span></li>
{% endfor %}</ul>{% else %}<p class="muted">没有未完成的任务。</p>{% endif %}</div></div>
<div><h2>实绩申报（{{ quarter_label }}）</h2><div class="card">{% if declared %}<ol>
{% for item in declared %}<li>{{ item.text }} <span class="muted">{{ item.source.label }} · 自评{{ item.self_rating.label }}</span></li>
{% endfor %}</ol>{% else %}<p class="muted">没有申报。</p>{% endif %}</div></div>
</div>
{% if requests %}<h2>申辩与复核</h2><div class="card">{% include "requests_list" %}</div>{% endif %}
{% if may_search %}<p><a href="{{ prefix }}/reports?person={{ person.name|urlencode }}">查看 {{ person.name }} 的日报</a></p>{% endif %}
{% endblock %}"""

REQUESTS_LIST = """{% if requests %}<ul class="plain" id="requests">{% for r in requests %}<li>
{% if r.url %}<a href="{{ r.url }}">{{ r.name }}</a>{% else %}{{ r.name }}{% endif %}
 <span class="muted">{{ r.dept }}</span> {{ r.what }}
<span class="muted">{{ r.filed }}提出{% if r.due %} · {{ r.due }}前决定{% endif %}</span>
{% if r.overdue %}<span class="tag error">已逾期</span>{% endif %}</li>{% endfor %}</ul>
{% else %}<p class="muted">{{ requests_none }}</p>{% endif %}"""

RECORDS_TABLE = """<div class="scroll"><table id="records" class="stack">
<tr><th>日期</th><th>对象</th><th>类别</th><th class="num">分值</th><th>理由</th><th>发起人</th><th>编号</th>
{% if can_void %}<th>作废</th>{% endif %}</tr>
{% for r, name, by in records %}<tr{% if r.voided_at %} class="muted"{% endif %}>
<td data-label="日期">{{ short(r.day) }}</td><td data-label="对象">{{ name }}</td>
<td data-label="类别">{{ kind_label(r) }}</td>
<td class="num" data-label="分值">{{ signed(r.points) }}</td>
<td data-label="理由">{{ r.reason }}{% if r.voided_at %}<br><span class="tag">已撤销：{{ r.void_reason }}</span>{% endif %}</td>
<td data-label="发起人">{{ by or "系统" }}</td><td data-label="编号">#{{ r.id }}</td>
{% if can_void %}<td>{% if not r.voided_at %}<form class="void" method="post"
action="{{ prefix }}/records/{{ r.id }}/void"><input type="hidden" name="csrf" value="{{ viewer.csrf }}">
<input type="hidden" name="back" value="{{ back }}">
<input type="text" name="reason" placeholder="作废理由" required maxlength="200" aria-label="作废理由">
<button class="danger" type="submit">作废</button></form>{% endif %}</td>{% endif %}
</tr>{% else %}<tr><td colspan="8" class="muted">没有记录。</td></tr>{% endfor %}
</table></div>{% if more %}<p class="muted">只显示最近 {{ records|length }} 条，请缩小范围。</p>{% endif %}"""

RECORDS = """{% extends "base" %}{% block main %}
<h1>点赞 / 错情</h1>
{% if notice %}<div class="card"><p class="{{ 'error' if notice_error else 'ok' }}">{{ notice }}</p></div>{% endif %}
<form class="filters" method="get" action="{{ prefix }}/records">
{% if leaders %}<label>发起人<select name="leader"><option value="">全部</option>
{% for pid, name in leaders %}<option value="{{ pid }}"{% if pid == leader %} selected{% endif %}>{{ name }}</option>{% endfor %}
</select></label>{% endif %}
<label>对象<input type="search" name="person" value="{{ person }}"></label>
<label>类别<select name="kind"><option value="">全部</option>
{% for value, label in kinds %}<option value="{{ value }}"{% if value == kind %} selected{% endif %}>{{ label }}</option>{% endfor %}
</select></label>
<label>从<input type="date" name="from" value="{{ start }}"></label>
<label>到<input type="date" name="to" value="{{ end }}"></label>
<button type="submit">筛选</button></form>
{% include "records_table" %}
{% endblock %}"""

REPORTS = """{% extends "base" %}{% block main %}
<h1>日报</h1>
<form class="filters" method="get" action="{{ prefix }}/reports">
<label>关键词<input type="search" name="q" value="{{ q }}"></label>
<label>人员<input type="search" name="person" value="{{ person }}"></label>
{% if departments|length > 1 %}<label>部门<select name="dept"><option value="">全部</option>
{% for did, name in departments %}<option value="{{ did }}"{% if did == dept %} selected{% endif %}>{{ name }}</option>{% endfor %}
</select></label>{% endif %}
<label>从<input type="date" name="from" value="{{ start }}"></label>
<label>到<input type="date" name="to" value="{{ end }}"></label>
<button type="submit">搜索</button></form>
{% if error %}<p class="error">{{ error }}</p>{% endif %}
<p class="muted">{{ found|length }} 条{% if more %}（只显示最近 {{ found|length }} 条，请缩小范围）{% endif %}</p>
<div class="card" id="found">{% for f in found %}<div class="item">
<div><b>{{ f.who.name }}</b> <span class="muted">{{ f.report.day.isoformat() }} {{ kind_word(f.report) }}
· {{ status_word(f.report) }}{% if f.reviewers %} · 已阅：{{ f.reviewers|join("、") }}{% endif %}</span></div>
<pre>{{ f.item.text }}</pre>
{% for old in f.revisions %}<div class="muted">修改前：{{ old }}</div>{% endfor %}
{% for leader, text in f.replies %}<div>💬 {{ leader }} 批复：{{ text }}</div>{% endfor %}
</div>{% else %}<p class="muted">没有找到日报。</p>{% endfor %}</div>
{% endblock %}"""

RESULTS = """{% extends "base" %}{% block main %}
<h1>季度结果 · 校准 <span class="muted">{{ quarter_label }}{% if provisional %}（暂定，统计到 {{ until }}）{% endif %}</span></h1>
<form class="filters" method="get" action="{{ prefix }}/results">
<label>季度<input type="text" name="q" value="{{ quarter }}" placeholder="2026Q2" size="8"></label>
<button type="submit">查看</button></form>
{% if error %}<p class="error">{{ error }}</p>{% endif %}
<p class="muted">{{ rules }}</p>
{% if publicity %}<p id="publicity">{{ publicity }}</p>{% endif %}
{% for g in groups %}<h2>{{ g.name }}（{{ g.size }}人）</h2>
<div class="card"><p>分布：{% for label, count in g.counts %}<span class="tag">{{ label }} {{ count }}</span> {% endfor %}
· 好 名额 {{ g.quota }}{% if g.line %} · 名额线：{{ g.line }}{% endif %}</p>
{% if g.vetoes %}<p class="error">否决 / 封顶：{{ g.vetoes|join("；") }}</p>{% endif %}
{% if g.near %}<p>接近分档线：{{ g.near|join("；") }}</p>{% endif %}</div>
<div class="scroll"><table class="results">
<tr><th class="num">名次</th><th>姓名</th><th>部门</th><th class="num">得分</th><th>等次</th>
{% if published %}<th>{{ "确定" if final else "公示" }}</th>{% endif %}<th>说明</th></tr>
{% for r in g.rows %}<tr class="{{ 'line' if r.below_line else '' }} {{ 'near' if r.near else '' }}">
<td class="num">{{ r.rank }}</td><td><a href="{{ r.url }}">{{ r.name }}</a></td><td>{{ r.dept }}</td>
<td class="num">{{ r.score }}</td><td><span class="tag g-{{ r.grade }}">{{ r.grade_label }}</span></td>
{% if published %}<td>{% if r.published %}<span class="tag g-{{ r.published_grade }}">{{ r.published }}</span>{% endif %}</td>{% endif %}
<td class="muted">{{ r.reason }}</td></tr>{% endfor %}
</table></div>{% endfor %}
{% endblock %}"""

AUDIT = """{% extends "base" %}{% block main %}
<h1>审计日志</h1>
<form class="filters" method="get" action="{{ prefix }}/audit">
<label>操作人<input type="search" name="actor" value="{{ actor }}"></label>
<label>操作<select name="action"><option value="">全部</option>
{% for a in actions %}<option value="{{ a }}"{% if a == action %} selected{% endif %}>{{ action_label(a) }}</option>{% endfor %}
</select></label>
<label>从<input type="date" name="from" value="{{ start }}"></label>
<label>到<input type="date" name="to" value="{{ end }}"></label>
<button type="submit">筛选</button></form>
<div class="scroll"><table id="audit" class="stack">
<tr><th>时间</th><th>操作人</th><th>操作</th><th>对象</th><th>详情</th></tr>
{% for e in entries %}<tr><td>{{ local(e.at) }}</td><td data-label="操作人">{{ e.actor }}</td>
<td data-label="操作">{{ action_label(e.action) }}</td>
<td data-label="对象">{{ e.subject }}</td><td class="muted" data-label="详情">{{ detail(e.detail) }}</td></tr>
{% else %}<tr><td colspan="5" class="muted">没有记录。</td></tr>{% endfor %}
</table></div>{% if more %}<p class="muted">只显示最近 {{ entries|length }} 条，请缩小范围。</p>{% endif %}
{% endblock %}"""

EXPORT = """{% extends "base" %}{% block main %}
<h1>导出</h1>
<div class="card"><p>季度平时考核结果（Excel：汇总表、登记表、每人明细、部门、日报档案、审计日志）。</p>
<form class="filters" method="post" action="{{ prefix }}/export">
<input type="hidden" name="csrf" value="{{ viewer.csrf }}">
<label>季度<input type="text" name="q" value="{{ quarter }}" size="8"></label>
<button type="submit">生成</button></form>
{% if error %}<p class="error">{{ error }}</p>{% endif %}</div>
{% if exports %}<div class="card"><h2>今天生成的文件</h2>
<table id="exports" class="stack"><tr><th>季度</th><th>提交时间</th><th>文件</th></tr>
{% for e in exports %}<tr><td>{{ e.quarter }}</td><td data-label="提交时间">{{ e.asked }}</td>
<td data-label="文件">{% if e.href %}<a href="{{ e.href }}">下载 {{ e.state }}</a>
{% else %}<span{% if e.failed %} class="error"{% else %} class="muted"{% endif %}>{{ e.state }}</span>{% endif %}</td></tr>
{% endfor %}</table>
<p class="muted">文件保留一天，仅本人可下载。</p></div>{% endif %}
{% endblock %}"""

TEMPLATES = {
    "base": BASE,
    "message": MESSAGE,
    "webapp": WEBAPP,
    "overview": OVERVIEW,
    "people": PEOPLE,
    "person": PERSON,
    "requests_list": REQUESTS_LIST,
    "records_table": RECORDS_TABLE,
    "records": RECORDS,
    "reports": REPORTS,
    "results": RESULTS,
    "audit": AUDIT,
    "export": EXPORT,
}

environment = Environment(
    loader=DictLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined, trim_blocks=True
)


def render(name: str, **context: Any) -> str:
    """A page as HTML."""
    return environment.get_template(name).render(**context)
