import { rules } from "../../src/autodiff/rules.ts";
import { convRules } from "../../kernels/conv2d/mod.ts";
Object.assign(rules, convRules);
import "./resume_test.ts";
