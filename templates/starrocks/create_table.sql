CREATE TABLE IF NOT EXISTS {{ name }} (
{%- for c in columns %}
  {{ c.name }} {{ c.ty }} {{ c.null }}{% if let Some(d) = c.default %} DEFAULT {{ d }}{% endif %}{% if let Some(cm) = c.comment %} COMMENT {{ cm }}{% endif %}{% if !loop.last %},{% endif %}
{%- endfor %}
) ENGINE = OLAP
{%- if let Some(k) = key %}
{{ k }}
{%- endif %}
{%- if let Some(cm) = comment %}
COMMENT {{ cm }}
{%- endif %}
{%- if let Some(p) = partition %}
{{ p }}
{%- endif %}
{%- if let Some(d) = distributed %}
DISTRIBUTED BY HASH({{ d }}){% if let Some(b) = buckets %} BUCKETS {{ b }}{% endif %}
{%- endif %}
{%- if !properties.is_empty() %}
PROPERTIES (
{%- for p in properties %}
  {{ p.0 }} = {{ p.1 }}{% if !loop.last %},{% endif %}
{%- endfor %}
)
{%- endif %}
