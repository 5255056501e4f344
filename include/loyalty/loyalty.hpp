// Everything public in one include.
#pragma once

#include "loyalty/allocate.hpp"
#include "loyalty/currency.hpp"
#include "loyalty/decimal.hpp"
#include "loyalty/diagnostic.hpp"
#include "loyalty/engine.hpp"
#include "loyalty/expiry.hpp"
#include "loyalty/expression.hpp"
#include "loyalty/format.hpp"
#include "loyalty/ledger.hpp"
#include "loyalty/program.hpp"
#include "loyalty/rules.hpp"
#include "loyalty/time.hpp"
#include "loyalty/version.hpp"
